import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrate } from "../migrations.ts";
import { sqliteDialect, sqliteExecutor } from "./dialect.ts";
import { embeddedMigrations } from "./migrationFiles.ts" with { type: "macro" };

/**
 * Opens (creating when missing) the SQLite event store and brings its schema up to
 * date. `synchronous=FULL`: a payment log must survive a power cut, not only a crash.
 * WAL lets readers (the CLI, a second server) work while one writer commits;
 * busy_timeout makes a second process wait for the write lock instead of failing.
 */
export function openDatabase(path: string): Database {
	if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
	const sqlite = new Database(path, { create: true, strict: true });
	sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
	useWal(sqlite);
	sqlite.run("PRAGMA synchronous = FULL");
	sqlite.run("PRAGMA foreign_keys = ON");
	sqliteExecutor(sqlite).inTransactionNow(() => migrate(sqliteDialect, embeddedMigrations()));
	return sqlite;
}

export const BUSY_TIMEOUT_MS = 5000;

/**
 * Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY
 * at once, without its busy handler, while another process is doing the same: about one
 * open in 25 when three processes open a new file together
 * (test/storage/sqlite-adapter.test.ts). WAL is then stored in the file, so the switch is
 * retried until it is seen, within the busy timeout. An in-memory database answers "memory".
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
