import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import postgres from "postgres";
import { parseDelivery } from "../../src/events/payload.ts";
import { EventTypes } from "../../src/events/types.ts";
import { openPostgresStorage } from "../../src/storage/postgres/index.ts";
import type { Storage } from "../../src/storage/storage.ts";
import { postback } from "../support/payloads.ts";
import {
	type PostgresServer,
	REFUSED_INVOICE,
	refuseInvoice,
	skipWithoutPostgres,
	startPostgres,
} from "../support/postgres.ts";

/**
 * The PostgreSQL store on a real server, beyond the contract: what the database itself
 * enforces, several instances sharing it, and a server restart under a running store.
 */
const skip = skipWithoutPostgres("the PostgreSQL adapter tests");
// The restart needs a cluster of the test's own, even where CI shares one (TEST_DATABASE_URL).
const skipRestart = skip || skipWithoutPostgres("the PostgreSQL restart test", { own: true });

const encoder = new TextEncoder();
const append = (storage: Storage, id: number, invoice = `INV-${id}`) => {
	const body = encoder.encode(
		JSON.stringify(
			postback({
				id,
				status: "successful",
				invoice,
				bannerType: "LAMPPOST",
				parentRecordId: "638e5bb01370e500241c3e12",
			}),
		),
	);
	return storage.events.appendDelivery(
		{ receivedAt: 1_755_544_620_000, body, contentType: "application/json", remoteAddress: null, requestId: null },
		parseDelivery(body),
	);
};
const positions = async (storage: Storage) => {
	const seqs: number[] = [];
	for await (const event of storage.events.range(1, await storage.events.lastSeq())) seqs.push(event.seq);
	return seqs;
};

describe.skipIf(skip)("PostgreSQL adapter", () => {
	let server: PostgresServer;
	beforeAll(async () => {
		server = await startPostgres();
	});
	afterAll(() => server?.stop());

	test("the database refuses UPDATE, DELETE and TRUNCATE on the log", async () => {
		const url = await server.createDatabase();
		const storage = await openPostgresStorage(url);
		const raw = postgres(url, { max: 1, onnotice: () => {} });
		try {
			await append(storage, 1);
			for (const statement of ["update events set invoice = 'x'", "delete from events", "truncate events"]) {
				await expect(raw.unsafe(statement)).rejects.toThrow("events is append-only");
			}
			expect(await storage.events.lastSeq()).toBe(2);
		} finally {
			await raw.end();
			await storage.close();
		}
	});

	test("instances starting together on a new database all open it, and each migration is applied once", async () => {
		const url = await server.createDatabase();
		const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStorage(url)));
		const raw = postgres(url, { max: 1, onnotice: () => {} });
		try {
			const ledger = await raw`select hash from drizzle.__drizzle_migrations`;
			const migrations = readMigrationFiles({ migrationsFolder: join(import.meta.dir, "..", "..", "drizzle", "pg") });
			expect(ledger).toHaveLength(migrations.length);
			expect(new Set(ledger.map((row) => row.hash)).size).toBe(migrations.length);
		} finally {
			await raw.end();
			await Promise.all(stores.map((s) => s.close()));
		}
	});

	test("two instances appending at once share one gap-free log, each delivery's events together", async () => {
		const url = await server.createDatabase();
		const [a, b] = await Promise.all([openPostgresStorage(url), openPostgresStorage(url)]);
		try {
			const appended = await Promise.all(
				Array.from({ length: 40 }, (_, i) => append(i % 2 === 0 ? (a as Storage) : (b as Storage), 100 + i)),
			);
			expect(await positions(a as Storage)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
			for (const { deliverySeq } of appended) {
				const kinds = (await (b as Storage).events.ofDelivery(deliverySeq)).map((e) => [e.seq, e.type]);
				expect(kinds).toEqual([
					[deliverySeq, EventTypes.received],
					[deliverySeq + 1, EventTypes.accepted],
				]);
			}
		} finally {
			await Promise.all([a?.close(), b?.close()]);
		}
	});

	test("a write that fails inside a shared commit fails alone and gives its positions back", async () => {
		const url = await server.createDatabase();
		const storage = await openPostgresStorage(url);
		await refuseInvoice(url);
		try {
			const results = await Promise.allSettled([
				append(storage, 201),
				append(storage, 202, REFUSED_INVOICE),
				append(storage, 203),
			]);
			expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
			expect(results[2]).toEqual({ status: "fulfilled", value: { deliverySeq: 3 } });
			expect(await positions(storage)).toEqual([1, 2, 3, 4]);
		} finally {
			await storage.close();
		}
	});

	test.skipIf(skipRestart)(
		"the store keeps working across a server restart: the next call after it succeeds",
		async () => {
			const own = await startPostgres({ own: true });
			try {
				const storage = await openPostgresStorage(await own.createDatabase());
				try {
					await append(storage, 300);
					await own.restart();
					expect((await append(storage, 301)).deliverySeq).toBe(3);
					expect(await storage.events.counts()).toMatchObject({ events: 4, incomplete: 2 });
				} finally {
					await storage.close();
				}
			} finally {
				await own.stop();
			}
		},
	);
});
