import { constants, Database } from "bun:sqlite";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { embeddedMigrations } from "../migrationFiles.ts" with { type: "macro" };
import { checkSchema, migrate } from "../migrations.ts";
import { StorageOpenError } from "../storage.ts";
import { sqliteDialect, sqliteExecutor } from "./dialect.ts";
import { canWrite } from "./writable.ts";

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
	sqliteExecutor(sqlite).inTransactionNow(() => migrate(sqliteDialect, embeddedMigrations("drizzle")));
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

/**
 * Opens the store only to read it, changing nothing on disk, so that a copy this process
 * may not write (a backup on a read-only mount) opens too. The schema must be the one
 * this code was built for, since it cannot be migrated.
 *
 * SQLite reads a WAL-mode file through the -shm index beside it, writes that index even
 * on a read-only connection, and makes one when it is missing; in a folder it may not
 * write, a plain read-only open of a WAL file without one fails (SQLITE_READONLY_DIRECTORY,
 * or SQLITE_CANTOPEN with a -wal). So, by what lies beside the file:
 * - a -shm (a live store, or a copy of one): `readonly_shm=1`, SQLite never writes the
 *   -shm and reads the -wal into private memory, as it does anyway when it may not write
 *   the -shm, beside a running service included;
 * - no -shm, and nothing holding commits (no -wal, no hot -journal: a backup, a store
 *   closed cleanly): `immutable=1`, the file read as it is, with no lock. Only here:
 *   `immutable` skips a -wal's commits without a word, and takes no lock against a
 *   writer, which keeps a -shm while it has the store open;
 * - a -wal holding commits without a -shm: a plain read-only open, which makes the -shm
 *   if the folder allows; if not, the WAL cannot be read, and the error says so.
 */
export function openReadOnlyDatabase(path: string): Database {
	let sqlite: Database | undefined;
	try {
		// bun:sqlite reads a URI filename only given open flags as a number, which leave out
		// `strict` (missing parameters throw): the read-write open keeps it, and catches them.
		sqlite = new Database(
			`${pathToFileURL(path).href}${uriParameters(path)}`,
			constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI,
		);
		sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
		sqliteExecutor(sqlite).runNow(checkSchema(sqliteDialect, embeddedMigrations("drizzle"), path));
	} catch (error) {
		sqlite?.close();
		if (error instanceof StorageOpenError) throw error;
		throw new StorageOpenError(`cannot read ${path} read-only: ${(error as Error).message}${walHint(path)}`);
	}
	return sqlite;
}

function uriParameters(path: string): string {
	if (existsSync(`${path}-shm`)) return "?readonly_shm=1";
	return holdsCommits(`${path}-wal`) || holdsCommits(`${path}-journal`) ? "" : "?immutable=1";
}

function holdsCommits(file: string): boolean {
	return existsSync(file) && statSync(file).size > 0;
}

function walHint(path: string): string {
	if (!holdsCommits(`${path}-wal`) || existsSync(`${path}-shm`) || canWrite(dirname(path))) return "";
	return ` (${path}-wal holds commits, which SQLite reads only through a ${path}-shm index, and there is none and its folder is not writable: copy the -shm file along, or the files to a folder you may write)`;
}
