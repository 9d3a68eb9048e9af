import type { Keyring } from "../events/bodyKeys.ts";
import { unwritable } from "./sqlite/writable.ts";
import type { OpenOptions, Storage } from "./storage.ts";

/**
 * Opens the store the configuration names: PostgreSQL when a database URL is given
 * (several instances share it), else the embedded SQLite file. Asynchronous because a
 * network database connects and migrates before it is handed out. Each adapter is
 * loaded only when chosen: the other one's driver and schema would cost a few MiB of
 * resident memory for nothing.
 */
export interface StorageConfig {
	databasePath: string;
	/** `postgres://…`; unset or null: SQLite at `databasePath` */
	databaseUrl?: string | null;
	/** seals delivery bodies as they are appended or imported; null or absent: stored in clear */
	eventLogKeys?: Keyring | null;
}

export async function openStorage(config: StorageConfig, options: OpenOptions = {}): Promise<Storage> {
	const adapterOptions = { ...options, keyring: config.eventLogKeys ?? null };
	if (config.databaseUrl) {
		const { openPostgresStorage } = await import("./postgres/index.ts");
		return openPostgresStorage(config.databaseUrl, adapterOptions);
	}
	const { openSqliteStorage } = await import("./sqlite/index.ts");
	return openSqliteStorage(config.databasePath, adapterOptions);
}

/**
 * What stops this process from writing the store, for the operator, or null when nothing
 * does. Only a file can be judged beforehand: a PostgreSQL server decides what a role may
 * write, and says so on the first write it refuses, so there it is always null.
 */
export function whyUnwritable(config: StorageConfig): string | null {
	if (config.databaseUrl) return null;
	return unwritable(config.databasePath);
}
