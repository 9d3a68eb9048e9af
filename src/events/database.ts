import { Database } from "bun:sqlite";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { migrationFiles } from "./migrationFiles.ts" with { type: "macro" };

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
	// busy_timeout first: switching to WAL needs a lock that another starting process may hold.
	sqlite.run("PRAGMA busy_timeout = 5000");
	sqlite.run("PRAGMA journal_mode = WAL");
	sqlite.run("PRAGMA synchronous = FULL");
	sqlite.run("PRAGMA foreign_keys = ON");
	const db = drizzle({ client: sqlite });
	migrateEmbedded(db);
	return { sqlite, db };
}

/** drizzle's own migrator, fed from the migrations inlined at build time. */
function migrateEmbedded(db: BunSQLiteDatabase) {
	const folder = mkdtempSync(join(tmpdir(), "citybase-migrations-"));
	try {
		for (const [name, text] of Object.entries(migrationFiles())) {
			mkdirSync(dirname(join(folder, name)), { recursive: true });
			writeFileSync(join(folder, name), text);
		}
		// Two processes starting on a new file may both try a migration; the loser fails
		// (its tables exist, or its snapshot is stale) and on its next look finds the
		// migration recorded as applied.
		for (let attempt = 1; ; attempt++) {
			try {
				migrate(db, { migrationsFolder: folder });
				return;
			} catch (error) {
				const cause = (error as { cause?: unknown }).cause;
				const raced = /already exists|database is locked/.test(`${error} ${cause}`);
				if (attempt === 5 || !raced) throw error;
				Bun.sleepSync(20 * attempt);
			}
		}
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}
