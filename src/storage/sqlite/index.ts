import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { Keyring } from "../../events/bodyKeys.ts";
import { createBudgetStore } from "../budget.ts";
import { sqlStorage } from "../sqlStorage.ts";
import { type KnackBudgetStore, type OpenOptions, type Storage, TransferError } from "../storage.ts";
import { BUSY_TIMEOUT_MS, openDatabase, openReadOnlyDatabase } from "./database.ts";
import { sqliteDialect, sqliteExecutor } from "./dialect.ts";

/**
 * The embedded store: one SQLite file (WAL, synchronous=FULL), migrated on open unless
 * read-only. With a keyring, delivery bodies are sealed before they reach the file;
 * reads return them as stored.
 */
export function openSqliteStorage(
	path: string,
	{ readOnly = false, keyring = null }: OpenOptions & { keyring?: Keyring | null } = {},
): Storage {
	return sqliteStorage(readOnly ? openReadOnlyDatabase(path) : openDatabase(path), path, { readOnly, keyring });
}

/** The storage over a database already open (`openDatabase`), for a caller that also needs its connection. */
export function sqliteStorage(
	sqlite: Database,
	path: string,
	{ readOnly = false, keyring = null }: OpenOptions & { keyring?: Keyring | null } = {},
): Storage {
	// A copy this process may not write shares its Knack budget with no one: it keeps its own.
	const budget = readOnly ? localBudget() : sharedBudget(sqlite);
	return sqlStorage({
		exec: sqliteExecutor(sqlite),
		dialect: sqliteDialect,
		location: path,
		keyring,
		readOnly,
		budget: budget.store,
		backup: async (to) => backup(sqlite, to),
		async freeBytes() {
			if (path === ":memory:") return null;
			const fs = await statfs(dirname(path));
			return fs.bavail * fs.bsize;
		},
		async close() {
			budget.close();
			sqlite.close();
		},
	});
}

/**
 * The shared Knack budget on a connection of its own with synchronous=OFF: a grant is
 * coordination, not history, and must not cost the fsync each event pays (ten or more a
 * second). WAL keeps the order of commits, so a crash loses at most the last grants.
 */
function sharedBudget(store: Database): { store: KnackBudgetStore; close(): void } {
	// An in-memory database cannot be opened twice: there the budget shares the connection.
	if (store.filename === ":memory:" || store.filename === "") {
		return { store: createBudgetStore(sqliteExecutor(store), sqliteDialect), close() {} };
	}
	const sqlite = new Database(store.filename, { strict: true });
	sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
	sqlite.run("PRAGMA synchronous = OFF");
	return { store: createBudgetStore(sqliteExecutor(sqlite), sqliteDialect), close: () => sqlite.close() };
}

/**
 * A Knack budget kept in this process alone, for a store it may not write (a read-only
 * copy): `verify` on a backup still keeps its own calls under the cap and the reserve,
 * but cannot share the cap with the service, which uses its own store. The same budget,
 * in a database in memory.
 */
export function localBudget(): { store: KnackBudgetStore; close(): void } {
	const sqlite = openDatabase(":memory:");
	return { store: createBudgetStore(sqliteExecutor(sqlite), sqliteDialect), close: () => sqlite.close() };
}

/**
 * A consistent copy of the live database (`VACUUM INTO`: one read transaction, so the
 * service may keep writing), then checked by opening it. Never overwrites a file.
 */
function backup(sqlite: Database, path: string): { events: number; bytes: number } {
	if (existsSync(path)) throw new TransferError(`${path} already exists: a backup never overwrites a file`);
	sqlite.run("VACUUM INTO ?1", [path]);
	const copy = new Database(path, { readonly: true, strict: true });
	try {
		const check = copy.query<{ quick_check: string }, []>("PRAGMA quick_check").get();
		if (check?.quick_check !== "ok") {
			throw new TransferError(`the backup at ${path} failed its check: ${check?.quick_check}`);
		}
		return {
			events: copy.query<{ n: number }, []>("select count(*) as n from events").get()?.n ?? 0,
			bytes: statSync(path).size,
		};
	} finally {
		copy.close();
	}
}
