import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { type PostgresServer, skipWithoutPostgres, startPostgres } from "../support/postgres.ts";

/**
 * Regression for the chaos run's PostgreSQL restart: a transaction in flight when the
 * server goes away must fail with a catchable error, and the connection slot it held
 * must connect again at once: not crash the process (postgres.js wrote its ROLLBACK to a
 * null socket; the transaction's own rejection went unhandled), nor hang until the connect
 * timeout (stale bytes kept for the next socket), nor fail the next query with the old
 * connection's FATAL error.
 * See scripts/repairPostgresDriver.ts.
 */
const skip = skipWithoutPostgres("the PostgreSQL driver restart test", { own: true });
let server: PostgresServer;

beforeAll(async () => {
	if (!skip) server = await startPostgres({ own: true });
});
afterAll(async () => {
	await server?.stop();
});

test.skipIf(skip)(
	"a transaction cut by a server restart fails, and its connection serves the next query at once",
	async () => {
		// One connection: the slot the transaction held is the one the next query must reuse.
		const client = postgres(server.url, { max: 1, onnotice: () => {}, connect_timeout: 20 });
		try {
			for (let round = 0; round < 3; round++) {
				const cut = client.begin(async (tx) => {
					await tx`select 1`;
					await tx`select pg_sleep(30)`;
				});
				const failed = cut.then(
					() => null,
					(error: Error) => error,
				);
				await Bun.sleep(300);
				await server.restart();
				expect(await failed).toBeInstanceOf(Error);
				const startedAt = Date.now();
				const [row] = await client`select 1 as one`;
				expect(row?.one).toBe(1);
				expect(Date.now() - startedAt).toBeLessThan(5000);
			}
		} finally {
			await client.end({ timeout: 1 });
		}
	},
	60_000,
);
