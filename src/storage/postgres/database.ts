import { sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { StorageOpenError } from "../storage.ts";
import { Locks, lockFor } from "./locks.ts";
import { embeddedMigrations } from "./migrationFiles.ts" with { type: "macro" };

export interface OpenDatabase {
	client: postgres.Sql;
	db: PostgresJsDatabase;
}

/** The URL without its password, for messages and logs: the URL is a secret. */
export function redactedLocation(url: string): string {
	const parsed = new URL(url);
	parsed.password = "";
	return parsed.toString();
}

/**
 * Connects (postgres.js: a pool that connects lazily and reconnects after the server
 * restarts) and brings the schema up to date before anything else runs. Each session
 * asks for synchronous_commit=on whatever the server's default: a write resolves only
 * once its commit is flushed to disk.
 *
 * Read-only, every session has default_transaction_read_only=on, so the server itself
 * refuses a write, and nothing is migrated: the schema must already be this code's.
 */
export async function openDatabase(url: string, { readOnly = false } = {}): Promise<OpenDatabase> {
	const client = postgres(url, {
		onnotice: () => {},
		// No array types are read or bound as such (ids go as one text literal cast in SQL),
		// and postgres.js fetches them on every new connection from an event handler whose
		// promise nobody holds: a server closing that connection meanwhile rejected it
		// unhandled, which ends a Bun process (1 of 4 PostgreSQL chaos runs with a restart).
		fetch_types: false,
		connection: {
			application_name: "atd-citybase",
			synchronous_commit: "on",
			...(readOnly ? { default_transaction_read_only: true } : {}),
		},
	});
	const db = drizzle({ client });
	try {
		await (readOnly ? checkSchema(db) : migrate(db));
	} catch (error) {
		await client.end({ timeout: 1 });
		if (error instanceof StorageOpenError) throw error;
		throw new StorageOpenError(
			`could not open the PostgreSQL store at ${redactedLocation(url)}: ${(error as Error).message}`,
		);
	}
	return { client, db };
}

const LEDGER = sql`drizzle.__drizzle_migrations`;

/**
 * The migrations in drizzle's ledger must be exactly this code's, as the SQLite
 * read-only open checks: an older schema would be migrated by a read-write open, a
 * newer one was written by a newer version.
 */
async function checkSchema(db: PostgresJsDatabase) {
	const [ledger] = await db.execute<{ exists: boolean }>(
		sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
	);
	if (!ledger?.exists) {
		throw new StorageOpenError("the database is not an event store of this service: it has no migration ledger");
	}
	const rows = await db.execute<{ created_at: string }>(sql`select created_at from ${LEDGER}`);
	const applied = new Set(rows.map((row) => Number(row.created_at)));
	const known = embeddedMigrations().map((m) => m.folderMillis);
	const unknown = [...applied].filter((millis) => !known.includes(millis)).length;
	const missing = known.filter((millis) => !applied.has(millis)).length;
	if (unknown > 0) {
		throw new StorageOpenError(
			`the database has ${unknown} schema migration(s) this version does not know: it was written by a newer version, so read it with that one`,
		);
	}
	if (missing > 0) {
		throw new StorageOpenError(
			`the database lacks ${missing} of this version's ${known.length} schema migrations, and a read-only open cannot apply them: open it once read-write with this version`,
		);
	}
}

/**
 * Applies drizzle-kit's migrations and records them in drizzle's own ledger
 * (`drizzle.__drizzle_migrations`, same columns), so drizzle-kit reads it as its own.
 * Not drizzle's `migrate()`: it creates the ledger and reads it outside its
 * transaction, so two instances starting together both apply the same migration (and
 * race on CREATE SCHEMA). Here all of it happens inside one transaction that first
 * takes the migration lock: the second instance waits, then finds everything applied.
 */
async function migrate(db: PostgresJsDatabase) {
	await db.transaction(async (tx) => {
		await tx.execute(lockFor(Locks.migrate));
		await tx.execute(sql`create schema if not exists drizzle`);
		await tx.execute(
			sql`create table if not exists ${LEDGER} (id serial primary key, hash text not null, created_at bigint)`,
		);
		const [last] = await tx.execute<{ created_at: string }>(
			sql`select created_at from ${LEDGER} order by created_at desc limit 1`,
		);
		for (const migration of embeddedMigrations()) {
			if (last && Number(last.created_at) >= migration.folderMillis) continue;
			for (const statement of migration.sql) await tx.execute(sql.raw(statement));
			await tx.execute(
				sql`insert into ${LEDGER} (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
			);
		}
	});
}
