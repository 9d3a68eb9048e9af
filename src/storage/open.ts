import { openPostgresStorage } from "./postgres/index.ts";
import { openSqliteStorage } from "./sqlite/index.ts";
import type { Storage } from "./storage.ts";

/**
 * Opens the store the configuration names: PostgreSQL when a database URL is given
 * (several instances share it), else the embedded SQLite file. Asynchronous because a
 * network database connects and migrates before it is handed out.
 */
export interface StorageConfig {
	databasePath: string;
	/** `postgres://…`; unset or null: SQLite at `databasePath` */
	databaseUrl?: string | null;
}

export async function openStorage(config: StorageConfig): Promise<Storage> {
	if (config.databaseUrl) return openPostgresStorage(config.databaseUrl);
	return openSqliteStorage(config.databasePath);
}
