import { join } from "node:path";
import type { StorageConfig } from "../../src/storage/open.ts";
import { startPostgres } from "../support/postgres.ts";

/**
 * Where a chaos run's servers keep their shared log: one SQLite file (two servers), or
 * one PostgreSQL database (three), which can itself be restarted mid-run when the
 * cluster is this run's own.
 */
export type StoreKind = "sqlite" | "postgres";

export interface ChaosStore {
	kind: StoreKind;
	/** the variable that picks the store, for the servers */
	env: Record<string, string>;
	/** the same store, for reading the log from outside */
	config: StorageConfig;
	/** how many servers share it */
	servers: number;
	/** pg_ctl restart -m fast; null when the server is not this run's (TEST_DATABASE_URL) */
	restart: (() => Promise<void>) | null;
	stop(): Promise<void>;
}

export async function openChaosStore(kind: StoreKind, dir: string): Promise<ChaosStore> {
	if (kind === "sqlite") {
		const databasePath = join(dir, "events.sqlite");
		return {
			kind,
			env: { DATABASE_PATH: databasePath },
			config: { databasePath },
			servers: 2,
			restart: null,
			stop: async () => {},
		};
	}
	const server = await startPostgres();
	try {
		const databaseUrl = await server.createDatabase();
		return {
			kind,
			// DATABASE_PATH in the run's folder: a store that wrongly fell back to SQLite would not write into the repository.
			env: { DATABASE_URL: databaseUrl, DATABASE_PATH: join(dir, "unused.sqlite") },
			config: { databasePath: join(dir, "unused.sqlite"), databaseUrl },
			servers: 3,
			restart: process.env.TEST_DATABASE_URL ? null : () => server.restart(),
			stop: () => server.stop(),
		};
	} catch (error) {
		await server.stop();
		throw error;
	}
}
