import { openSqliteStorage } from "./sqlite/index.ts";
import { unwritable } from "./sqlite/writable.ts";
import type { OpenOptions, Storage } from "./storage.ts";

/**
 * Opens the store the configuration names. SQLite is the embedded default; another
 * database is one more adapter folder beside `sqlite/` and one more branch here.
 */
export interface StorageConfig {
	databasePath: string;
}

export function openStorage(config: StorageConfig, options: OpenOptions = {}): Storage {
	return openSqliteStorage(config.databasePath, options);
}

/** What stops this process from writing the store, for the operator, or null when nothing does. */
export function whyUnwritable(config: StorageConfig): string | null {
	return unwritable(config.databasePath);
}
