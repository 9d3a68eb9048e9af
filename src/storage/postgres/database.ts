import { sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
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
 */
export async function openDatabase(url: string): Promise<OpenDatabase> {
	const client = postgres(url, {
		onnotice: () => {},
		connection: { application_name: "atd-citybase", synchronous_commit: "on" },
	});
	const db = drizzle({ client });
	try {
		await migrate(db);
	} catch (error) {
		await client.end({ timeout: 1 });
		throw new Error(`could not open the PostgreSQL store at ${redactedLocation(url)}: ${(error as Error).message}`);
	}
	return { client, db };
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
			sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
		);
		const [last] = await tx.execute<{ created_at: string }>(
			sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`,
		);
		for (const migration of embeddedMigrations()) {
			if (last && Number(last.created_at) >= migration.folderMillis) continue;
			for (const statement of migration.sql) await tx.execute(sql.raw(statement));
			await tx.execute(
				sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
			);
		}
	});
}
