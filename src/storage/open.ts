import type { Keyring } from "../events/bodyKeys.ts";
import { openSqliteStorage } from "./sqlite/index.ts";
import { unwritable } from "./sqlite/writable.ts";
import type { OpenOptions, Storage } from "./storage.ts";

/**
 * Opens the store the configuration names. SQLite is the embedded default; another
 * database is one more adapter folder beside `sqlite/` and one more branch here.
 */
export interface StorageConfig {
	databasePath: string;
	/** seals delivery bodies as they are appended or imported; null or absent: stored in clear */
	eventLogKeys?: Keyring | null;
}

export function openStorage(config: StorageConfig, options: OpenOptions = {}): Storage {
	return openSqliteStorage(config.databasePath, { ...options, keyring: config.eventLogKeys ?? null });
}

/** What stops this process from writing the store, for the operator, or null when nothing does. */
export function whyUnwritable(config: StorageConfig): string | null {
	return unwritable(config.databasePath);
}
