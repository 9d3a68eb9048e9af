import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PostgresServer, startPostgres } from "./postgres.ts";

/**
 * The store the behaviour suites run on: SQLite by default, PostgreSQL with
 * TEST_STORE=postgres (one server for the test process, one new database per store).
 * The same scenarios run on both, so a behaviour that differs between them fails a test.
 */
export type StoreKind = "sqlite" | "postgres";

export const storeKind: StoreKind = process.env.TEST_STORE === "postgres" ? "postgres" : "sqlite";

/** For `describe.skipIf(...)` of tests about SQLite files themselves. */
export const notSqlite = storeKind !== "sqlite";

export interface TestStore {
	kind: StoreKind;
	/** DATABASE_PATH or DATABASE_URL, what the service and the CLI are given */
	env: Record<string, string>;
	/** the SQLite file; null on PostgreSQL */
	path: string | null;
	drop(): Promise<void>;
}

/**
 * The server is stopped when its last store is dropped: bun test does not emit the
 * process's "exit", so a cluster of our own (no TEST_DATABASE_URL) left running would
 * outlive the run. With TEST_DATABASE_URL, stopping only closes the admin connection.
 */
let server: Promise<PostgresServer> | null = null;
let live = 0;

export async function freshStore(kind: StoreKind = storeKind): Promise<TestStore> {
	if (kind === "postgres") {
		// Counted before the first await, so a drop meanwhile cannot stop the server under it.
		live++;
		server ??= startPostgres();
		const postgres = await server;
		const url = await postgres.createDatabase();
		const drop = async () => {
			await postgres.dropDatabase(url);
			if (--live > 0) return;
			server = null;
			await postgres.stop();
		};
		return { kind, env: { DATABASE_URL: url }, path: null, drop };
	}
	const dir = mkdtempSync(join(tmpdir(), "citybase-store-"));
	const path = join(dir, "events.sqlite");
	return {
		kind,
		env: { DATABASE_PATH: path },
		path,
		drop: async () => rmSync(dir, { recursive: true, force: true }),
	};
}
