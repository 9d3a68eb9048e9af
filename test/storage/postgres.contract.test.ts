import { afterAll, describe, test } from "bun:test";
import { openPostgresStorage } from "../../src/storage/postgres/index.ts";
import { skipWithoutPostgres, startPostgres } from "../support/postgres.ts";
import { storageContract } from "./contract.ts";

// Each folder the contract hands out is one fresh database: opening the same folder
// again reopens that database, as the SQLite factory reopens its file.
if (skipWithoutPostgres("the PostgreSQL storage contract")) {
	describe.skip("storage contract: PostgreSQL", () => test.skip("PostgreSQL is unavailable", () => {}));
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
