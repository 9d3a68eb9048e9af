import { constants, Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { StorageOpenError } from "../storage.ts";
import { BUSY_TIMEOUT_MS, MIGRATION_LEDGER, type OpenDatabase } from "./database.ts";
import { embeddedMigrations } from "./migrationFiles.ts" with { type: "macro" };
import { canWrite } from "./writable.ts";

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
export function openReadOnlyDatabase(path: string): OpenDatabase {
	let sqlite: Database | undefined;
	try {
		// bun:sqlite reads a URI filename only given open flags as a number, which leave out
		// `strict` (missing parameters throw): the read-write open keeps it, and catches them.
		sqlite = new Database(
			`${pathToFileURL(path).href}${uriParameters(path)}`,
			constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI,
		);
		sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
		checkSchema(sqlite, path);
	} catch (error) {
		sqlite?.close();
		if (error instanceof StorageOpenError) throw error;
		throw new StorageOpenError(`cannot read ${path} read-only: ${(error as Error).message}${walHint(path)}`);
	}
	return { sqlite, db: drizzle({ client: sqlite }) };
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

/**
 * The migrations recorded in drizzle's ledger must be exactly this code's: an older file
 * would be migrated by a read-write open, a newer one was written by a newer version.
 */
function checkSchema(sqlite: Database, path: string) {
	const hasLedger = sqlite
		.query<{ name: string }, [string]>("select name from sqlite_master where type = 'table' and name = ?1")
		.get(MIGRATION_LEDGER);
	if (!hasLedger) {
		throw new StorageOpenError(`${path} is not an event store of this service: it has no ${MIGRATION_LEDGER} table`);
	}
	const applied = new Set(
		sqlite
			.query<{ createdAt: number }, []>(`select created_at as createdAt from "${MIGRATION_LEDGER}"`)
			.all()
			.map((row) => Number(row.createdAt)),
	);
	const known = embeddedMigrations().map((m) => m.folderMillis);
	const missing = known.filter((millis) => !applied.has(millis)).length;
	const unknown = [...applied].filter((millis) => !known.includes(millis)).length;
	if (unknown > 0) {
		throw new StorageOpenError(
			`the store at ${path} has ${unknown} schema migration(s) this version does not know: it was written by a newer version, so read it with that one`,
		);
	}
	if (missing > 0) {
		throw new StorageOpenError(
			`the store at ${path} lacks ${missing} of this version's ${known.length} schema migrations, and a read-only open cannot apply them: open a writable copy once with this version, or read it with the version that wrote it`,
		);
	}
}
