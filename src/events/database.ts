import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";

export interface OpenDatabase {
	sqlite: Database;
	db: BunSQLiteDatabase;
}

export const defaultMigrationsFolder = join(import.meta.dir, "..", "..", "drizzle");

/**
 * Opens (creating when missing) the SQLite event store and brings its schema up to
 * date. `synchronous=FULL`: a payment log must survive a power cut, not only a crash.
 * WAL lets readers (the CLI, a second server) work while one writer commits;
 * busy_timeout makes a second process wait for the write lock instead of failing.
 */
export function openDatabase(path: string, migrationsFolder = defaultMigrationsFolder): OpenDatabase {
	if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
	const sqlite = new Database(path, { create: true, strict: true });
	sqlite.run("PRAGMA journal_mode = WAL");
	sqlite.run("PRAGMA synchronous = FULL");
	sqlite.run("PRAGMA busy_timeout = 5000");
	sqlite.run("PRAGMA foreign_keys = ON");
	const db = drizzle({ client: sqlite });
	migrate(db, { migrationsFolder });
	return { sqlite, db };
}
