import type { Keyring } from "../events/bodyKeys.ts";
import { openSqliteStorage } from "./sqlite/index.ts";
import type { Storage } from "./storage.ts";

/**
 * Opens the store the configuration names. SQLite is the embedded default; another
 * database is one more adapter folder beside `sqlite/` and one more branch here.
 */
export interface StorageConfig {
	databasePath: string;
	/** seals delivery bodies as they are appended or imported; null or absent: stored in clear */
	eventLogKeys?: Keyring | null;
}

export function openStorage(config: StorageConfig): Storage {
	return openSqliteStorage(config.databasePath, config.eventLogKeys ?? null);
}
