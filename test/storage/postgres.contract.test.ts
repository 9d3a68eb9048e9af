import { afterAll, describe, test } from "bun:test";
import { openPostgresStorage } from "../../src/storage/postgres/index.ts";
import { postgresUnavailable, startPostgres } from "../support/postgres.ts";
import { storageContract } from "./contract.ts";

// Each folder the contract hands out is one fresh database: opening the same folder
// again reopens that database, as the SQLite factory reopens its file.
const unavailable = postgresUnavailable();
if (unavailable && process.env.CI === "true") throw new Error(`PostgreSQL is required in CI: ${unavailable}`);
if (unavailable) {
	console.warn(`\n*** SKIPPING the PostgreSQL storage contract: ${unavailable} ***\n`);
	describe.skip("storage contract: PostgreSQL", () => test.skip(unavailable, () => {}));
} else {
	const server = await startPostgres();
	afterAll(() => server.stop());
	const databases = new Map<string, Promise<string>>();
	storageContract("PostgreSQL", async (dir) => {
		let url = databases.get(dir);
		if (!url) {
			url = server.createDatabase();
			databases.set(dir, url);
		}
		return openPostgresStorage(await url);
	});
}
