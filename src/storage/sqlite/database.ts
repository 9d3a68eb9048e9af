import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { embeddedMigrations } from "./migrationFiles.ts" with { type: "macro" };

export interface OpenDatabase {
	sqlite: Database;
	db: BunSQLiteDatabase;
}

/**
 * Opens (creating when missing) the SQLite event store and brings its schema up to
 * date. `synchronous=FULL`: a payment log must survive a power cut, not only a crash.
 * WAL lets readers (the CLI, a second server) work while one writer commits;
 * busy_timeout makes a second process wait for the write lock instead of failing.
 */
export function openDatabase(path: string): OpenDatabase {
	if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
	const sqlite = new Database(path, { create: true, strict: true });
	sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
	useWal(sqlite);
	sqlite.run("PRAGMA synchronous = FULL");
	sqlite.run("PRAGMA foreign_keys = ON");
	migrate(sqlite);
	return { sqlite, db: drizzle({ client: sqlite }) };
}

export const BUSY_TIMEOUT_MS = 5000;

/** drizzle's ledger of the migrations applied to a file */
export const MIGRATION_LEDGER = "__drizzle_migrations";

/**
 * Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY
 * at once, without its busy handler, while another process is doing the same: about one
 * open in 25 when three processes open a new file together (test/store.test.ts). WAL is
 * then stored in the file, so the switch is retried until it is seen, within the busy
 * timeout. An in-memory database answers "memory".
 */
function useWal(sqlite: Database) {
	const deadline = Date.now() + BUSY_TIMEOUT_MS;
	for (;;) {
		try {
			const mode = sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get();
			if (mode?.journal_mode === "wal" || mode?.journal_mode === "memory") return;
		} catch (error) {
			if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
		}
		if (Date.now() > deadline) throw new Error(`could not switch ${sqlite.filename} to WAL: the file stays locked`);
		Bun.sleepSync(10 + Math.random() * 40);
	}
}

/**
 * Applies drizzle-kit's migrations and records them in drizzle's own ledger
 * (`__drizzle_migrations`, same columns), so drizzle-kit and drizzle's migrator read it
 * as theirs. Not drizzle's `migrate()`: it reads the ledger outside its transaction and
 * begins a deferred one, so two processes starting on a new file both decide to apply
 * the same migration and one fails (drizzle-orm#874). Here the ledger is read under
 * `BEGIN IMMEDIATE`: the second process waits for the write lock (busy_timeout), then
 * finds everything applied.
 */
function migrate(sqlite: Database) {
	const ledger = MIGRATION_LEDGER;
	sqlite
		.transaction(() => {
			sqlite.run(
				`CREATE TABLE IF NOT EXISTS "${ledger}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
			);
			const last = sqlite
				.query<{ createdAt: number }, []>(
					`SELECT created_at AS createdAt FROM "${ledger}" ORDER BY created_at DESC LIMIT 1`,
				)
				.get();
			for (const migration of embeddedMigrations()) {
				if (last && Number(last.createdAt) >= migration.folderMillis) continue;
				for (const statement of migration.sql) sqlite.run(statement);
				sqlite.run(`INSERT INTO "${ledger}" (hash, created_at) VALUES (?, ?)`, [
					migration.hash,
					migration.folderMillis,
				]);
			}
		})
		.immediate();
}
