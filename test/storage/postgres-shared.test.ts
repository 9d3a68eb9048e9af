import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { decryptBody } from "../../src/events/bodyCipher.ts";
import { parseDelivery } from "../../src/events/payload.ts";
import { type Decision, decide, type Priority } from "../../src/projections/knack/budget.ts";
import { openPostgresStorage } from "../../src/storage/postgres/index.ts";
import { ReadOnlyStorageError, type Storage, StorageOpenError } from "../../src/storage/storage.ts";
import { keyring as keyringOf } from "../support/keys.ts";
import { postback } from "../support/payloads.ts";
import {
	type PostgresServer,
	REFUSED_INVOICE,
	refuseInvoice,
	skipWithoutPostgres,
	startPostgres,
} from "../support/postgres.ts";

/**
 * What the PostgreSQL store shares between instances beyond the log: the Knack budget
 * (one cap for every host), bodies sealed at their gap-free positions, and a read-only
 * open that the server itself holds to.
 */
const skip = skipWithoutPostgres("the PostgreSQL shared-store tests");

const encoder = new TextEncoder();
const delivery = (text: string) => ({
	receivedAt: 1,
	body: encoder.encode(text),
	contentType: null,
	remoteAddress: null,
	requestId: null,
});
const reject = { accepted: false as const, reason: "test" };
// An append the test's database refuses (`refuseInvoice`).
const failing = parseDelivery(
	encoder.encode(
		JSON.stringify(
			postback({
				id: 1,
				status: "successful",
				invoice: REFUSED_INVOICE,
				bannerType: "LAMPPOST",
				parentRecordId: "638e5bb01370e500241c3e12",
			}),
		),
	),
);

describe.skipIf(skip)("PostgreSQL shared store", () => {
	let server: PostgresServer;
	beforeAll(async () => {
		server = await startPostgres();
	});
	afterAll(() => server?.stop());

	test("instances taking one app's budget at once never grant past the cap, and keep the count of the quota", async () => {
		const url = await server.createDatabase();
		const stores = await Promise.all([1, 2, 3].map(() => openPostgresStorage(url)));
		try {
			const now = 1_000_000;
			const [first] = stores as [Storage];
			await first.budget.recordQuota("app", {
				planLimit: 1000,
				planRemaining: 500,
				planResetAt: null,
				rateLimit: null,
				rateRemaining: null,
				rateResetAt: null,
				seenAt: now,
			});
			const take = (storage: Storage): Promise<Decision> =>
				storage.budget.take("app", now, (state) => decide({ priority: "live", now }, state, policyOf(5)), "live");
			const decisions = await Promise.all(stores.flatMap((s) => Array.from({ length: 8 }, () => take(s))));
			expect(decisions.filter((d) => d.kind === "grant")).toHaveLength(5);
			expect((await first.budget.quotas()).get("app")?.grantedSince).toBe(5);
			expect(await (stores[2] as Storage).budget.recentGrants("app", now)).toHaveLength(5);
			// Another app's budget is its own.
			expect((await take(first)).kind).toBe("wait");
			const other = await first.budget.take("other", now, () => ({ kind: "grant" }), "live");
			expect(other.kind).toBe("grant");
		} finally {
			await Promise.all(stores.map((s) => s.close()));
		}
	});

	test("grants older than a minute are pruned as new ones are taken", async () => {
		const storage = await openPostgresStorage(await server.createDatabase());
		try {
			const grant = (at: number, priority: Priority = "operator") =>
				storage.budget.take("app", at, () => ({ kind: "grant" }), priority);
			await grant(0);
			await grant(30_000);
			await grant(70_000, "live");
			expect(await storage.budget.recentGrants("app", 70_000)).toEqual([
				{ at: 30_000, priority: "operator" },
				{ at: 70_000, priority: "live" },
			]);
		} finally {
			await storage.close();
		}
	});

	test("with keys, each body is sealed at its own position, also beside a write that fails in a shared commit", async () => {
		const keyring = keyringOf(["k1", 7]);
		const url = await server.createDatabase();
		const storage = await openPostgresStorage(url, { keyring });
		await refuseInvoice(url);
		try {
			const texts = Array.from({ length: 6 }, (_, i) => `{"body": ${i}}`);
			const results = await Promise.allSettled(
				[...texts.slice(0, 3), "fails", ...texts.slice(3)].map((text) =>
					storage.events.appendDelivery(delivery(text), text === "fails" ? failing : reject),
				),
			);
			expect(results.map((r) => r.status)).toEqual([
				...Array(3).fill("fulfilled"),
				"rejected",
				...Array(3).fill("fulfilled"),
			]);
			const opens = async (seq: number, position = seq) => {
				const stored = (await storage.events.get(seq))?.body;
				if (!stored) throw new Error(`no body at ${seq}`);
				expect(Buffer.from(stored).includes("body")).toBe(false);
				const opened = await decryptBody(keyring, stored, position);
				return opened.state === "unreadable" ? opened.state : new TextDecoder().decode(opened.bytes);
			};
			const appended = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.deliverySeq] : []));
			expect(appended).toEqual([1, 3, 5, 7, 9, 11]);
			for (const [i, seq] of appended.entries()) {
				expect(await opens(seq)).toBe(texts[i] as string);
				expect(await opens(seq, seq + 2)).toBe("unreadable");
			}
		} finally {
			await storage.close();
		}
	});

	test("an export in clear imported with keys is sealed at its positions, and imported again adds nothing", async () => {
		const keyring = keyringOf(["k1", 7]);
		const clear = await openPostgresStorage(await server.createDatabase());
		const sealed = await openPostgresStorage(await server.createDatabase(), { keyring });
		try {
			for (const text of ['{"a": 1}', '{"b": 2}']) await clear.events.appendDelivery(delivery(text), reject);
			const exported = [];
			for await (const event of clear.transfer.events()) exported.push({ event, lineNumber: exported.length + 1 });
			expect(await sealed.transfer.importer().apply(exported)).toEqual({ inserted: 4, skipped: 0 });
			const stored = (await sealed.events.get(3))?.body as Uint8Array;
			expect(Buffer.from(stored).includes('{"b": 2}')).toBe(false);
			const opened = await decryptBody(keyring, stored, 3);
			expect(opened.state === "unreadable" ? null : new TextDecoder().decode(opened.bytes)).toBe('{"b": 2}');
			expect(await sealed.transfer.importer().apply(exported)).toEqual({ inserted: 0, skipped: 4 });
		} finally {
			await Promise.all([clear.close(), sealed.close()]);
		}
	});

	test("read-only, the store reads, refuses writes by name, and the server refuses them too", async () => {
		const url = await server.createDatabase();
		const writer = await openPostgresStorage(url);
		await writer.events.appendDelivery(delivery('{"n": 1}'), reject);
		await writer.close();

		const storage = await openPostgresStorage(url, { readOnly: true });
		try {
			expect(await storage.events.lastSeq()).toBe(2);
			const refusal = storage.events.appendDelivery(delivery('{"n": 2}'), reject);
			await expect(refusal).rejects.toThrow(ReadOnlyStorageError);
			await expect(refusal).rejects.toThrow(`the store at ${storage.location} is open read-only`);
			await expect(storage.probe.write()).rejects.toThrow(ReadOnlyStorageError);
			// Its budget is its own: it records no grant in the database.
			expect((await storage.budget.take("app", 1, () => ({ kind: "grant" }), "operator")).kind).toBe("grant");
			expect(await storage.queries.backlog(0)).toEqual({ pending: 0, oldestReceivedAt: null, deadLettered: 0 });
		} finally {
			await storage.close();
		}
		const raw = postgres(url, { max: 1, onnotice: () => {}, connection: { default_transaction_read_only: true } });
		try {
			await expect(raw`insert into checkpoints values ('x', 1)`).rejects.toThrow("read-only transaction");
		} finally {
			await raw.end();
		}
	});

	test("read-only, a database without this version's schema is refused, and left as it was", async () => {
		const url = await server.createDatabase();
		const open = openPostgresStorage(url, { readOnly: true });
		await expect(open).rejects.toThrow(StorageOpenError);
		await expect(open).rejects.toThrow("not an event store of this service");
		const raw = postgres(url, { max: 1, onnotice: () => {} });
		try {
			expect([...(await raw`select to_regclass('events') as t`)]).toEqual([{ t: null }]);
			await (await openPostgresStorage(url)).close();
			await raw`insert into drizzle.__drizzle_migrations (hash, created_at) values ('future', 9999999999999)`;
			await expect(openPostgresStorage(url, { readOnly: true })).rejects.toThrow("written by a newer version");
		} finally {
			await raw.end();
		}
	});
});

const policyOf = (perSecond: number) => ({ perSecond, dailyReserve: 0 });
