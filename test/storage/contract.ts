import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDelivery } from "../../src/events/payload.ts";
import { EventTypes, type Outcome, type StoredEvent } from "../../src/events/types.ts";
import type { PaymentRow } from "../../src/projections/paymentRow.ts";
import { createPaymentsReadModel } from "../../src/projections/payments.ts";
import {
	type ClaimRequest,
	type ImportedEvent,
	type OperatorJob,
	type Storage,
	TransferError,
} from "../../src/storage/storage.ts";
import { doubtOf, oldDoubt } from "../support/events.ts";
import { postback } from "../support/payloads.ts";

/**
 * The storage contract: what every adapter behind `src/storage/storage.ts` must do,
 * written once and run against each (realworld-ts style). An adapter's test file only
 * supplies a factory that opens a fresh, empty store in a folder it may use, and can
 * open the same store again there (to check what survives a reopen).
 */
export type OpenStore = (dir: string) => Storage | Promise<Storage>;

const encoder = new TextEncoder();

function delivery(body: string, receivedAt = 1_755_544_620_000) {
	return {
		receivedAt,
		body: encoder.encode(body),
		contentType: "application/json",
		remoteAddress: null,
		requestId: null,
	};
}

function paymentBody(id: number, status = "successful", invoice = `INV-${id}`): string {
	return JSON.stringify(
		postback({ id, status, invoice, bannerType: "LAMPPOST", parentRecordId: "638e5bb01370e500241c3e12" }),
	);
}

async function append(storage: Storage, id: number, status = "successful", invoice?: string, claim?: ClaimRequest) {
	const body = paymentBody(id, status, invoice);
	return storage.events.appendDelivery(delivery(body), parseDelivery(encoder.encode(body)), claim);
}

function outcome(key: string, type: Outcome["type"] = EventTypes.effectSucceeded): Outcome {
	const call = { kind: "message", by: "postback", method: "POST", objectKey: "object_181" } as const;
	switch (type) {
		case EventTypes.effectSucceeded:
			return { type, effectKey: key, data: { ...call, durationMs: 5, recordId: "r1", knackStatus: 200, via: "call" } };
		case EventTypes.effectFailed:
			return {
				type,
				effectKey: key,
				data: { ...call, durationMs: 5, recordId: null, knackStatus: 503, error: "unavailable", certain: false },
			};
		case EventTypes.effectDoubted:
			return { type, effectKey: key, data: { ...call, by: "recovery" } };
	}
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
	const all: T[] = [];
	for await (const item of items) all.push(item);
	return all;
}

const types = (events: StoredEvent[]) => events.map((e) => e.type);

export function storageContract(name: string, open: OpenStore): void {
	describe(`storage contract: ${name}`, () => {
		let dir: string;
		let storage: Storage;
		beforeEach(async () => {
			dir = mkdtempSync(join(tmpdir(), "citybase-contract-"));
			storage = await open(dir);
		});
		afterEach(async () => {
			await storage.close();
			rmSync(dir, { recursive: true, force: true });
		});

		describe("append", () => {
			test("an accepted delivery is its exact bytes, then its verdict with the payment, at consecutive positions", async () => {
				const body = paymentBody(101);
				const { deliverySeq } = await storage.events.appendDelivery(
					{ ...delivery(body), remoteAddress: "10.1.2.3", requestId: "req-1" },
					parseDelivery(encoder.encode(body)),
				);
				const [received, accepted, ...rest] = await storage.events.ofDelivery(deliverySeq);
				expect(rest).toEqual([]);
				expect(received?.seq).toBe(deliverySeq);
				expect(received?.type).toBe(EventTypes.received);
				expect(new TextDecoder().decode(received?.body ?? undefined)).toBe(body);
				expect(received?.data).toEqual({
					contentType: "application/json",
					remoteAddress: "10.1.2.3",
					requestId: "req-1",
				});
				expect(accepted).toMatchObject({
					seq: deliverySeq + 1,
					type: EventTypes.accepted,
					deliverySeq,
					citybaseId: 101,
					paymentStatus: "successful",
					invoice: "INV-101",
					body: null,
				});
				expect((await storage.events.accepted(deliverySeq))?.payment.citybaseId).toBe(101);
				expect(await storage.events.get(deliverySeq + 1)).toEqual(accepted as StoredEvent);
				expect(await storage.events.lastSeq()).toBe(deliverySeq + 1);
			});

			test("a rejected delivery keeps its bytes and the reason, and has no accepted payment", async () => {
				const { deliverySeq } = await storage.events.appendDelivery(delivery("{not json"), {
					accepted: false,
					reason: "Invalid JSON",
				});
				expect(types(await storage.events.ofDelivery(deliverySeq))).toEqual([EventTypes.received, EventTypes.rejected]);
				expect((await storage.events.get(deliverySeq + 1))?.data).toEqual({ reason: "Invalid JSON" });
				expect(await storage.events.accepted(deliverySeq)).toBeNull();
				expect(await storage.events.incomplete()).toEqual([]);
			});

			test("appends made together get distinct positions with no gap, each delivery's events together", async () => {
				const appended = await Promise.all([1, 2, 3, 4, 5].map((i) => append(storage, 200 + i)));
				const seqs = appended.map((a) => a.deliverySeq).sort((a, b) => a - b);
				expect(seqs).toEqual([seqs[0] as number, ...[2, 4, 6, 8].map((n) => (seqs[0] as number) + n)]);
				const all = await collect(storage.events.range(1, await storage.events.lastSeq()));
				expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
			});

			test("what was appended is there after the store is closed and opened again", async () => {
				const { deliverySeq } = await append(storage, 301);
				await storage.close();
				storage = await open(dir);
				expect(types(await storage.events.ofDelivery(deliverySeq))).toEqual([EventTypes.received, EventTypes.accepted]);
			});

			test("a payment's and an invoice's events come with their deliveries' bytes, in log order", async () => {
				await append(storage, 401, "successful", "INV-shared");
				await append(storage, 402, "successful", "INV-shared");
				await append(storage, 401, "refunded", "INV-shared");
				const ofPayment = await storage.events.byPayment(401);
				expect(types(ofPayment)).toEqual([
					EventTypes.received,
					EventTypes.accepted,
					EventTypes.received,
					EventTypes.accepted,
				]);
				expect(ofPayment.map((e) => e.seq)).toEqual([...ofPayment.map((e) => e.seq)].sort((a, b) => a - b));
				expect(
					(await storage.events.byInvoice("INV-shared")).filter((e) => e.type === EventTypes.accepted),
				).toHaveLength(3);
				expect(await storage.events.byPayment(999)).toEqual([]);
			});

			test("an invoice keeps every character CityBase sent, a NUL and a leading U+FFFF too", async () => {
				for (const [id, invoice] of [
					[451, "INV-\u0000-451"],
					[452, "\uffffINV-452"],
					[453, "\uffff\u0000"],
				] as const) {
					await append(storage, id, "successful", invoice);
					const accepted = (await storage.events.byInvoice(invoice)).filter((e) => e.type === EventTypes.accepted);
					expect(accepted.map((e) => [e.citybaseId, e.invoice])).toEqual([[id, invoice]]);
				}
				const exported = (await collect(storage.transfer.events())).map((e) => e.invoice).filter((i) => i !== null);
				expect(exported).toEqual(["INV-\u0000-451", "\uffffINV-452", "\uffff\u0000"]);
				await createPaymentsReadModel(storage.readModel).catchUp();
				expect((await collect(storage.readModel.rows())).map((r) => r.invoice)).toEqual(exported);
			});
		});

		describe("claims and leases", () => {
			test("a live claim keeps others out; its holder may take it again", async () => {
				const now = Date.now();
				expect(await storage.events.claim("1:successful", "a", 1, now, 10_000)).toEqual({
					state: "claimed",
					inherited: false,
				});
				expect(await storage.events.claim("1:successful", "b", 1, now + 1, 10_000)).toEqual({
					state: "held",
					holder: "a",
					expiresAt: now + 10_000,
				});
				expect(await storage.events.claim("1:successful", "a", 1, now + 2, 10_000)).toEqual({
					state: "claimed",
					inherited: false,
				});
				expect(await storage.events.claim("2:successful", "b", 2, now, 10_000)).toMatchObject({ state: "claimed" });
			});

			test("a claim whose lease ran out is taken over, and the taker is told it inherits a doubt", async () => {
				const now = Date.now();
				await storage.events.claim("1:successful", "dead", 1, now - 20_000, 10_000);
				expect(await storage.events.claim("1:successful", "b", 1, now, 10_000)).toEqual({
					state: "claimed",
					inherited: true,
				});
				expect(await storage.queries.currentClaims()).toEqual(
					new Map([["1:successful", { holder: "b", expiresAt: now + 10_000 }]]),
				);
			});

			test("two takers at once: exactly one gets the claim", async () => {
				const now = Date.now();
				const results = await Promise.all(
					["a", "b", "c", "d"].map((holder) => storage.events.claim("7:successful", holder, 1, now, 10_000)),
				);
				expect(results.filter((r) => r.state === "claimed")).toHaveLength(1);
			});

			test("a released claim is free, and the next taker inherits nothing", async () => {
				const { deliverySeq } = await append(storage, 501);
				const now = Date.now();
				await storage.events.claim("501:successful", "a", deliverySeq, now, 10_000);
				await storage.events.recordOutcomes(deliverySeq, [], now, { release: { key: "501:successful", holder: "a" } });
				expect((await storage.queries.currentClaims()).size).toBe(0);
				expect(await storage.events.claim("501:successful", "b", deliverySeq, now, 10_000)).toEqual({
					state: "claimed",
					inherited: false,
				});
			});

			test("finishing a delivery can drop its key's claim once the lease ran out, never another's live one", async () => {
				const { deliverySeq } = await append(storage, 502);
				const other = (await append(storage, 503)).deliverySeq;
				const now = Date.now();
				await storage.events.claim("502:successful", "dead", deliverySeq, now - 20_000, 10_000);
				await storage.events.claim("503:successful", "alive", other, now, 10_000);
				await storage.events.recordOutcomes(deliverySeq, [], now, {
					dropStaleClaim: { key: "503:successful", at: now },
				});
				await storage.events.recordOutcomes(deliverySeq, [], now, {
					dropStaleClaim: { key: "502:successful", at: now },
				});
				expect([...(await storage.queries.currentClaims()).keys()]).toEqual(["503:successful"]);
			});

			test("finishing a delivery drops the claim taken for that same delivery, its lease still running", async () => {
				// Its append took the claim and its process died; recovery then found every write done.
				const now = Date.now();
				const claim = { key: "504:successful", holder: "killed", now, leaseMs: 60_000 };
				const { deliverySeq } = await append(storage, 504, "successful", undefined, claim);
				await storage.events.recordOutcomes(deliverySeq, [], now, {
					dropStaleClaim: { key: "504:successful", at: now },
				});
				expect((await storage.queries.currentClaims()).size).toBe(0);
			});

			test("an accepted delivery takes its claim with its append; a rejected one takes none", async () => {
				const now = Date.now();
				const claim = { key: "9:successful", holder: "a", now, leaseMs: 10_000 };
				const appended = await append(storage, 9, "successful", undefined, claim);
				expect(appended.claim).toEqual({ state: "claimed", inherited: false });
				expect(await storage.queries.currentClaims()).toEqual(
					new Map([["9:successful", { holder: "a", expiresAt: now + 10_000 }]]),
				);
				const rejected = await storage.events.appendDelivery(
					delivery("x"),
					{ accepted: false, reason: "Invalid JSON" },
					{ ...claim, key: "x", holder: "b" },
				);
				expect(rejected.claim).toBeUndefined();
				expect([...(await storage.queries.currentClaims()).keys()]).toEqual(["9:successful"]);
			});

			test("an append finding its claim held by a live other is told so, and the delivery is still appended", async () => {
				const now = Date.now();
				await storage.events.claim("10:successful", "a", 1, now, 10_000);
				const { deliverySeq, claim } = await append(storage, 10, "successful", undefined, {
					key: "10:successful",
					holder: "b",
					now: now + 1,
					leaseMs: 10_000,
				});
				expect(claim).toEqual({ state: "held", holder: "a", expiresAt: now + 10_000 });
				expect(await storage.events.accepted(deliverySeq)).toMatchObject({ payment: { citybaseId: 10 } });
				expect((await storage.queries.currentClaims()).get("10:successful")?.holder).toBe("a");
			});

			test("an append taking over a claim whose lease ran out inherits its doubt, as a claim does", async () => {
				const now = Date.now();
				await storage.events.claim("11:successful", "dead", 1, now - 20_000, 10_000);
				const { claim } = await append(storage, 11, "successful", undefined, {
					key: "11:successful",
					holder: "b",
					now,
					leaseMs: 10_000,
				});
				expect(claim).toEqual({ state: "claimed", inherited: true });
				expect(await storage.queries.currentClaims()).toEqual(
					new Map([["11:successful", { holder: "b", expiresAt: now + 10_000 }]]),
				);
			});

			test("appends of one payment made together: exactly one takes the claim", async () => {
				const now = Date.now();
				const results = await Promise.all(
					["a", "b", "c"].map((holder) =>
						append(storage, 12, "successful", undefined, { key: "12:successful", holder, now, leaseMs: 10_000 }),
					),
				);
				expect(results.map((r) => r.claim?.state).sort()).toEqual(["claimed", "held", "held"]);
			});

			test("a release by someone who no longer holds the claim leaves it alone", async () => {
				const now = Date.now();
				await storage.events.claim("8:successful", "a", 1, now - 20_000, 10_000);
				await storage.events.claim("8:successful", "b", 1, now, 10_000);
				await storage.events.recordOutcomes(1, [], now, { release: { key: "8:successful", holder: "a" } });
				expect((await storage.queries.currentClaims()).get("8:successful")?.holder).toBe("b");
			});
		});

		describe("outcomes, incomplete and dead letters", () => {
			test("outcomes of every delivery of a (payment, status) come back in order; applied finishes a delivery", async () => {
				const first = (await append(storage, 601)).deliverySeq;
				const second = (await append(storage, 601)).deliverySeq;
				const refund = (await append(storage, 601, "refunded")).deliverySeq;
				expect((await storage.events.incomplete()).map((d) => d.deliverySeq)).toEqual([first, second, refund]);

				await storage.events.recordOutcomes(
					first,
					[outcome("601:successful:message", EventTypes.effectFailed)],
					10,
					{},
				);
				await storage.events.recordOutcomes(second, [outcome("601:successful:message")], 20, {
					applied: { performed: 1, skipped: 0 },
				});
				const outcomes = await storage.events.outcomesOf(601, "successful");
				expect(outcomes.map((o) => [o.type, o.deliverySeq, o.recordedAt])).toEqual([
					[EventTypes.effectFailed, first, 10],
					[EventTypes.effectSucceeded, second, 20],
				]);
				expect(outcomes[1]).toMatchObject({ citybaseId: 601, paymentStatus: "successful", invoice: "INV-601" });
				expect(await storage.events.outcomesOf(601, "refunded")).toEqual([]);
				expect((await storage.events.incomplete()).map((d) => d.deliverySeq)).toEqual([first, refund]);
				expect(await storage.events.counts()).toMatchObject({ incomplete: 2, deadLettered: 0 });
			});

			test("a takeover's doubt is an outcome of its own kind; an old log's, recorded as a failure, reads as one everywhere", async () => {
				const seq = (await append(storage, 651)).deliverySeq;
				const old: Outcome = {
					type: EventTypes.effectFailed,
					effectKey: "651:successful:message",
					data: oldDoubt("recovery"),
				};
				await storage.events.recordOutcomes(
					seq,
					[old, outcome("651:successful:message", EventTypes.effectDoubted)],
					30,
					{},
				);
				const doubted = {
					type: EventTypes.effectDoubted,
					effectKey: "651:successful:message",
					data: doubtOf(oldDoubt("recovery")),
				};
				const read = await storage.events.outcomesOf(651, "successful");
				expect(read).toEqual([
					expect.objectContaining({ ...doubted, seq: seq + 2 }),
					expect.objectContaining({ ...doubted, seq: seq + 3 }),
				]);
				expect(await storage.events.get(seq + 2)).toEqual(read[0] ?? null);
				expect((await storage.events.byPayment(651)).slice(-2)).toEqual(read);
				expect((await storage.queries.paymentsEvents([651])).get(651)?.slice(-2)).toEqual(read);
				const folded: StoredEvent[] = [];
				await storage.readModel.foldPage(100, (page) => folded.push(...page));
				expect(folded.slice(-2)).toEqual(read.map((e) => ({ ...e, body: null })));
				// Stored as written: an export carries the old row as it is.
				const exported = await collect(storage.transfer.events());
				expect(exported.slice(-2).map((e) => e.type)).toEqual([EventTypes.effectFailed, EventTypes.effectDoubted]);
			});

			test("a dead letter is finished for recovery but stays open for operators until applied", async () => {
				const seq = (await append(storage, 701)).deliverySeq;
				await storage.events.recordDeadLetter(seq, "5 failed Knack attempts", 5, 30);
				expect(await storage.events.incomplete()).toEqual([]);
				expect(await storage.events.counts()).toMatchObject({ incomplete: 0, deadLettered: 1 });
				expect(await storage.queries.openDeadLetters(10)).toEqual([seq]);
				expect((await storage.events.ofDelivery(seq)).at(-1)).toMatchObject({
					type: EventTypes.deadLettered,
					citybaseId: 701,
					data: { reason: "5 failed Knack attempts", attempts: 5 },
				});
				await storage.events.recordOutcomes(seq, [], 40, { applied: { performed: 3, skipped: 0 } });
				expect(await storage.queries.openDeadLetters(10)).toEqual([]);
				expect(await storage.events.counts()).toMatchObject({ incomplete: 0, deadLettered: 1 });
			});

			test("counts count events and deliveries, not rows of other kinds", async () => {
				const a = (await append(storage, 801)).deliverySeq;
				await append(storage, 802);
				await storage.events.appendDelivery(delivery("x"), { accepted: false, reason: "Invalid JSON" });
				await storage.events.recordOutcomes(a, [outcome("801:successful:message")], 1, {
					applied: { performed: 1, skipped: 0 },
				});
				expect(await storage.events.counts()).toEqual({ events: 8, incomplete: 1, deadLettered: 0 });
			});
			test("an operator's action is tied to its payment, shows in its events, and finishes nothing", async () => {
				const seq = (await append(storage, 1001)).deliverySeq;
				const data = {
					who: "Ana Ruiz",
					action: "replay" as const,
					what: "replay --payment 1001",
					result: "done: 3 written",
					by: "console" as const,
				};
				await storage.events.recordOperatorAction(
					{ citybaseId: 1001, status: "successful", invoice: "INV-1001", deliverySeq: seq, data },
					50,
				);
				expect((await storage.events.byPayment(1001)).at(-1)).toMatchObject({
					type: EventTypes.operatorAction,
					recordedAt: 50,
					deliverySeq: seq,
					citybaseId: 1001,
					paymentStatus: "successful",
					invoice: "INV-1001",
					data,
				});
				expect(await storage.events.outcomesOf(1001, "successful")).toEqual([]);
				expect((await storage.events.incomplete()).map((d) => d.deliverySeq)).toEqual([seq]);
				expect(await storage.events.counts()).toEqual({ events: 3, incomplete: 1, deadLettered: 0 });
			});
		});

		describe("health", () => {
			const appendAt = async (id: number, receivedAt: number) => {
				const body = paymentBody(id);
				return (await storage.events.appendDelivery(delivery(body, receivedAt), parseDelivery(encoder.encode(body))))
					.deliverySeq;
			};

			test("the backlog counts unfinished accepted deliveries, the oldest first, and recent dead letters", async () => {
				expect(await storage.queries.backlog(0)).toEqual({ pending: 0, oldestReceivedAt: null, deadLettered: 0 });
				const first = await appendAt(1001, 1_000);
				const second = await appendAt(1002, 2_000);
				await storage.events.appendDelivery(delivery("x", 500), { accepted: false, reason: "Invalid JSON" });
				expect(await storage.queries.backlog(0)).toEqual({ pending: 2, oldestReceivedAt: 1_000, deadLettered: 0 });

				await storage.events.recordOutcomes(first, [outcome("1001:successful:message")], 3_000, {
					applied: { performed: 1, skipped: 0 },
				});
				expect(await storage.queries.backlog(0)).toEqual({ pending: 1, oldestReceivedAt: 2_000, deadLettered: 0 });

				await storage.events.recordDeadLetter(second, "50 failed Knack attempts", 50, 4_000);
				expect(await storage.queries.backlog(4_000)).toEqual({ pending: 0, oldestReceivedAt: null, deadLettered: 1 });
				expect(await storage.queries.backlog(4_001)).toMatchObject({ deadLettered: 0 });
			});

			test("deliveries appended after the backlog was asked are counted, whatever was finished before", async () => {
				const first = await appendAt(1101, 1_000);
				await storage.events.recordOutcomes(first, [], 2_000, { applied: { performed: 0, skipped: 0 } });
				expect(await storage.queries.backlog(0)).toMatchObject({ pending: 0 });
				const later = await appendAt(1102, 3_000);
				expect(await storage.queries.backlog(0)).toMatchObject({ pending: 1, oldestReceivedAt: 3_000 });
				await storage.events.recordDeadLetter(later, "too old", 1, 4_000);
				await storage.events.recordOutcomes(later, [], 5_000, { applied: { performed: 1, skipped: 0 } });
				expect(await storage.queries.backlog(0)).toEqual({ pending: 0, oldestReceivedAt: null, deadLettered: 1 });
			});

			test("counts, incomplete and the backlog stay right as deliveries finish out of order, also beside a second handle", async () => {
				const applied = { applied: { performed: 1, skipped: 0 } };
				const pendingIn = async (store: Storage, expected: number[]) => {
					expect((await store.events.incomplete()).map((d) => d.deliverySeq)).toEqual(expected);
					expect((await store.events.counts()).incomplete).toBe(expected.length);
					expect((await store.queries.backlog(0)).pending).toBe(expected.length);
				};
				const old = (await append(storage, 1301)).deliverySeq;
				const newer = [];
				for (const id of [1302, 1303, 1304]) newer.push((await append(storage, id)).deliverySeq);
				const [second, third, fourth] = newer as [number, number, number];
				await pendingIn(storage, [old, second, third, fourth]);
				await storage.events.recordOutcomes(second, [], 2, applied);
				await storage.events.recordOutcomes(fourth, [], 3, applied);
				await pendingIn(storage, [old, third]);
				expect((await storage.events.incomplete(1)).map((d) => d.deliverySeq)).toEqual([old]);
				await storage.events.recordOutcomes(third, [], 4, applied);
				await pendingIn(storage, [old]);

				const other = await open(dir);
				try {
					const theirs = (await append(other, 1305)).deliverySeq;
					await pendingIn(storage, [old, theirs]);
					await pendingIn(other, [old, theirs]);
					await storage.events.recordOutcomes(old, [], 5, applied);
					await pendingIn(other, [theirs]);
					await pendingIn(storage, [theirs]);
					await other.events.recordDeadLetter(theirs, "too old", 1, 6);
					await pendingIn(storage, []);
					expect(await storage.events.counts()).toMatchObject({ incomplete: 0, deadLettered: 1 });
					const last = (await append(other, 1306)).deliverySeq;
					await pendingIn(storage, [last]);
					await pendingIn(other, [last]);
				} finally {
					await other.close();
				}
			});

			test("a write probe succeeds on a writable store and leaves nothing behind", async () => {
				await append(storage, 1201);
				const before = { last: await storage.events.lastSeq(), claims: await storage.queries.currentClaims() };
				await storage.probe.write();
				await storage.probe.write();
				expect(await storage.events.lastSeq()).toBe(before.last);
				expect(await storage.queries.currentClaims()).toEqual(before.claims);
				const free = await storage.probe.freeBytes();
				expect(free === null || free > 0).toBe(true);
			});
		});

		describe("ranges", () => {
			test("a range is read in pages, every event once, in position order, bounds included", async () => {
				for (let i = 0; i < 7; i++) await append(storage, 900 + i);
				const all = await collect(storage.events.range(1, 14));
				expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
				expect((await collect(storage.events.range(3, 9, 2))).map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8, 9]);
				expect(await collect(storage.events.range(15, 20))).toEqual([]);
				expect(await collect(storage.events.range(5, 4))).toEqual([]);
			});

			test("an empty store has position 0 and no events", async () => {
				expect(await storage.events.lastSeq()).toBe(0);
				expect(await storage.events.get(1)).toBeNull();
				expect(await collect(storage.events.range(1, 100))).toEqual([]);
				expect(await storage.events.counts()).toEqual({ events: 0, incomplete: 0, deadLettered: 0 });
			});
		});

		describe("operator queries", () => {
			test("deliveries are listed newest first, filtered, and summarised", async () => {
				const a = (await append(storage, 1001, "successful", "INV-A")).deliverySeq;
				const b = (await append(storage, 1002, "voided", "INV-B")).deliverySeq;
				const rejected = (
					await storage.events.appendDelivery(delivery("{"), { accepted: false, reason: "Invalid JSON" })
				).deliverySeq;
				await storage.events.recordOutcomes(a, [outcome("1001:successful:message")], 1, {
					applied: { performed: 1, skipped: 0 },
				});
				await storage.events.recordOutcomes(b, [outcome("1002:voided:message", EventTypes.effectFailed)], 1, {});

				expect((await storage.queries.listDeliveries({}, 0)).map((r) => r.deliverySeq)).toEqual([rejected, b, a]);
				expect((await storage.queries.listDeliveries({}, 2)).map((r) => r.deliverySeq)).toEqual([rejected, b]);
				expect(await storage.queries.listDeliveries({ invoice: "INV-B" }, 0)).toEqual([
					{
						deliverySeq: b,
						receivedAt: 1_755_544_620_000,
						accepted: true,
						citybaseId: 1002,
						status: "voided",
						invoice: "INV-B",
						reason: null,
					},
				]);
				expect((await storage.queries.listDeliveries({ rejectedOnly: true }, 0)).map((r) => r.reason)).toEqual([
					"Invalid JSON",
				]);
				expect((await storage.queries.listDeliveries({ citybaseId: 1001, status: "voided" }, 0)).length).toBe(0);
				expect(await storage.queries.listDeliveries({ since: 1_755_544_620_001 }, 0)).toEqual([]);

				const summaries = await storage.queries.deliverySummaries([a, b]);
				expect(summaries.get(a)).toEqual({ succeeded: 1, failed: 0, applied: true, deadLettered: false });
				expect(summaries.get(b)).toEqual({ succeeded: 0, failed: 1, applied: false, deadLettered: false });
				expect(await storage.queries.countAccepted(1, await storage.events.lastSeq())).toBe(2);
				expect(await storage.queries.countAccepted(a + 2, await storage.events.lastSeq())).toBe(1);
			});

			test("the accepted deliveries of a range, oldest first, and nothing else", async () => {
				const a = (await append(storage, 1201)).deliverySeq;
				await storage.events.appendDelivery(delivery("{"), { accepted: false, reason: "Invalid JSON" });
				const b = (await append(storage, 1202, "voided")).deliverySeq;
				await storage.events.recordOutcomes(b, [outcome("1202:voided:message")], 1, {});
				const last = await storage.events.lastSeq();
				expect(await collect(storage.queries.acceptedIn(1, last))).toEqual([
					{ seq: a + 1, citybaseId: 1201, status: "successful" },
					{ seq: b + 1, citybaseId: 1202, status: "voided" },
				]);
				expect(await collect(storage.queries.acceptedIn(a + 2, last))).toEqual([
					{ seq: b + 1, citybaseId: 1202, status: "voided" },
				]);
				expect(await collect(storage.queries.acceptedIn(b + 2, last))).toEqual([]);
			});

			test("many payments' events at once, without the bodies", async () => {
				await append(storage, 1101);
				await append(storage, 1102);
				await append(storage, 1101, "refunded");
				const byPayment = await storage.queries.paymentsEvents([1101, 1102, 1199]);
				expect([...byPayment.keys()].sort()).toEqual([1101, 1102]);
				expect(types(byPayment.get(1101) ?? [])).toEqual([EventTypes.accepted, EventTypes.accepted]);
				expect((byPayment.get(1101) ?? []).every((e) => e.body === null && e.data !== null)).toBe(true);
			});
		});

		describe("cursors", () => {
			test("a named position is 0 until written, then what was written, then 0 again once cleared", async () => {
				expect(await storage.cursors.read("replay --force --all")).toBe(0);
				await storage.cursors.write("replay --force --all", 42);
				await storage.cursors.write("replay --force --all", 43);
				await storage.cursors.write("other", 7);
				expect(await storage.cursors.read("replay --force --all")).toBe(43);
				await storage.cursors.clear("replay --force --all");
				expect(await storage.cursors.read("replay --force --all")).toBe(0);
				expect(await storage.cursors.read("other")).toBe(7);
			});
		});

		describe("console sessions", () => {
			const session = (idHash: string, createdAt: number, lastSeen = createdAt) => ({
				idHash,
				csrf: `csrf-${idHash}`,
				name: `Operator ${idHash}`,
				createdAt,
				lastSeen,
			});

			test("a session is kept as given, found by its hash, and gone once deleted", async () => {
				await storage.sessions.create(session("a", 1_755_544_620_000));
				await storage.sessions.create(session("b", 1_755_544_620_001));
				expect(await storage.sessions.get("a")).toEqual(session("a", 1_755_544_620_000));
				expect(await storage.sessions.get("nobody")).toBeNull();
				await storage.sessions.delete("a");
				await storage.sessions.delete("nobody");
				expect(await storage.sessions.get("a")).toBeNull();
				expect(await storage.sessions.get("b")).toEqual(session("b", 1_755_544_620_001));
			});

			test("a session's last sight only moves forward", async () => {
				await storage.sessions.create(session("a", 100));
				await storage.sessions.touch("a", 500);
				await storage.sessions.touch("a", 300);
				await storage.sessions.touch("nobody", 500);
				expect(await storage.sessions.get("a")).toEqual(session("a", 100, 500));
			});

			test("pruning drops the sessions idle or created before the bounds, and only those", async () => {
				await storage.sessions.create(session("idle", 100, 199));
				await storage.sessions.create(session("old", 99, 900));
				await storage.sessions.create(session("edge", 100, 200));
				await storage.sessions.create(session("fresh", 800, 900));
				expect(await storage.sessions.prune(200, 100)).toBe(2);
				expect(await storage.sessions.get("idle")).toBeNull();
				expect(await storage.sessions.get("old")).toBeNull();
				expect(await storage.sessions.get("edge")).toEqual(session("edge", 100, 200));
				expect(await storage.sessions.get("fresh")).toEqual(session("fresh", 800, 900));
				expect(await storage.sessions.prune(200, 100)).toBe(0);
			});

			test("sessions survive a reopen, and are neither events nor exported", async () => {
				await storage.sessions.create(session("a", 1_755_544_620_000));
				expect(await storage.events.lastSeq()).toBe(0);
				expect(await collect(storage.transfer.events())).toEqual([]);
				await storage.close();
				storage = await open(dir);
				expect(await storage.sessions.get("a")).toEqual(session("a", 1_755_544_620_000));
			});
		});

		describe("read model persistence", () => {
			const row = (citybaseId: number, deliveries: number): PaymentRow => ({
				citybaseId,
				app: "STREET_BANNER",
				invoice: `INV-${citybaseId}`,
				latestStatus: "successful",
				totalAmount: "60.0",
				knackRecordId: "rec",
				parentRecordId: null,
				knackRecords: { [`${citybaseId}:successful:message`]: "r1" },
				deliveries,
				lastDeliverySeq: 1,
				updatedAt: 5,
				receivedAt: 5,
				open: [],
				stuckSince: null,
				stuckStatus: null,
				trouble: null,
				lastError: null,
			});
			const countAccepted = (page: StoredEvent[], rows: Map<number, PaymentRow>) => {
				for (const e of page) {
					if (e.type !== EventTypes.accepted || e.citybaseId === null) continue;
					rows.set(e.citybaseId, row(e.citybaseId, (rows.get(e.citybaseId)?.deliveries ?? 0) + 1));
				}
			};

			test("pages fold past a checkpoint, each event once; rows come back as written; reset starts over", async () => {
				await append(storage, 1201);
				await append(storage, 1202);
				await append(storage, 1201);
				expect(await storage.readModel.foldPage(4, countAccepted)).toBe(4);
				expect(await storage.readModel.foldPage(4, countAccepted)).toBe(2);
				expect(await storage.readModel.foldPage(4, countAccepted)).toBe(0);
				expect(await storage.readModel.get(1201)).toEqual(row(1201, 2));
				expect(await collect(storage.readModel.rows())).toEqual([row(1201, 2), row(1202, 1)]);
				expect(await storage.readModel.count()).toBe(2);
				await storage.readModel.reset();
				expect(await storage.readModel.count()).toBe(0);
				expect(await storage.readModel.get(1201)).toBeNull();
				expect(await storage.readModel.foldPage(100, countAccepted)).toBe(6);
				expect(await storage.readModel.get(1201)).toEqual(row(1201, 2));
			});

			test("two catch-ups at once never fold a page twice", async () => {
				for (let i = 0; i < 6; i++) await append(storage, 1300);
				const folded = await Promise.all([1, 2, 3].map(() => storage.readModel.foldPage(4, countAccepted)));
				expect(folded.reduce((a, b) => a + b, 0)).toBe(12);
				expect((await storage.readModel.get(1300))?.deliveries).toBe(6);
			});
		});

		describe("the read model's questions: stuck payments, search, recent", () => {
			/** A row as a test wants it; stuck when `stuckSince` is given. */
			const row = (citybaseId: number, extra: Partial<PaymentRow> = {}): PaymentRow => {
				const stuckSince = extra.stuckSince ?? null;
				return {
					citybaseId,
					app: "STREET_BANNER",
					invoice: `INV2022-${citybaseId}`,
					latestStatus: "successful",
					totalAmount: "60.0",
					knackRecordId: `5F${String(citybaseId).padStart(22, "0")}`,
					parentRecordId: null,
					knackRecords: {},
					deliveries: 1,
					lastDeliverySeq: citybaseId,
					updatedAt: 5,
					receivedAt: 5,
					open:
						stuckSince === null
							? []
							: [{ seq: citybaseId, receivedAt: stuckSince, status: "successful", deadLettered: false }],
					stuckSince,
					stuckStatus: stuckSince === null ? null : "successful",
					trouble: stuckSince === null ? null : "knack-5xx",
					lastError: null,
					...extra,
				};
			};
			/** A delivery of each payment, then a fold of them that sets their rows as they are given. */
			const setRows = async (...rows: PaymentRow[]) => {
				for (const r of rows) await append(storage, r.citybaseId);
				await storage.readModel.foldPage(100, (_page, state) => {
					for (const r of rows) state.set(r.citybaseId, r);
				});
			};
			const ids = (rows: PaymentRow[]) => rows.map((r) => r.citybaseId);

			// Six stuck payments, got stuck at times 10..60; one more not stuck.
			const stuckRows = [
				row(101, { stuckSince: 30 }),
				row(102, { stuckSince: 10, app: "SMART_MOBILITY" }),
				row(103, { stuckSince: 20, trouble: "dead-lettered" }),
				row(104, { stuckSince: 20, stuckStatus: "refunded" }),
				row(105, { stuckSince: 50, app: "SMART_MOBILITY", trouble: "quota" }),
				row(106, { stuckSince: 60 }),
				row(107),
			];

			test("stuck payments oldest first, a page at a time either way, and counted by app, status and trouble", async () => {
				await setRows(...stuckRows);
				const first = await storage.payments.stuck({}, { limit: 4 });
				expect(ids(first)).toEqual([102, 103, 104, 101]);
				expect(first[0]).toEqual(stuckRows[1] as PaymentRow);
				const last = first.at(-1) as PaymentRow;
				const after = { stuckSince: last.stuckSince as number, citybaseId: last.citybaseId };
				const second = await storage.payments.stuck({}, { after, limit: 4 });
				expect(ids(second)).toEqual([105, 106]);
				const back = { stuckSince: 50, citybaseId: 105 };
				expect(ids(await storage.payments.stuck({}, { before: back, limit: 3 }))).toEqual([103, 104, 101]);
				expect(
					(await storage.payments.stuckCounts()).sort((a, b) =>
						`${a.app}${a.status}${a.trouble}`.localeCompare(`${b.app}${b.status}${b.trouble}`),
					),
				).toEqual([
					{ app: "SMART_MOBILITY", status: "successful", trouble: "knack-5xx", n: 1 },
					{ app: "SMART_MOBILITY", status: "successful", trouble: "quota", n: 1 },
					{ app: "STREET_BANNER", status: "refunded", trouble: "knack-5xx", n: 1 },
					{ app: "STREET_BANNER", status: "successful", trouble: "dead-lettered", n: 1 },
					{ app: "STREET_BANNER", status: "successful", trouble: "knack-5xx", n: 2 },
				]);
				expect(await storage.payments.countStuck({}, 1000)).toBe(6);
			});

			test("each filter narrows the list and its count; an age filter's count stops at its cap", async () => {
				await setRows(...stuckRows);
				const both = async (filter: Parameters<Storage["payments"]["stuck"]>[0]) => ({
					ids: ids(await storage.payments.stuck(filter, { limit: 10 })),
					n: await storage.payments.countStuck(filter, 1000),
				});
				expect(await both({ app: "SMART_MOBILITY" })).toEqual({ ids: [102, 105], n: 2 });
				expect(await both({ status: "refunded" })).toEqual({ ids: [104], n: 1 });
				expect(await both({ trouble: "knack-5xx" })).toEqual({ ids: [102, 104, 101, 106], n: 4 });
				expect(await both({ app: "STREET_BANNER", trouble: "knack-5xx" })).toEqual({ ids: [104, 101, 106], n: 3 });
				expect(await both({ stuckBefore: 30 })).toEqual({ ids: [102, 103, 104], n: 3 });
				expect(await both({ stuckBefore: 30, app: "STREET_BANNER" })).toEqual({ ids: [103, 104], n: 2 });
				expect(await both({ app: "NOWHERE" })).toEqual({ ids: [], n: 0 });
				expect(await storage.payments.countStuck({ stuckBefore: 100 }, 4)).toBe(4);
			});

			test("counts follow the rows as they change, and go with the read model's reset", async () => {
				await setRows(...stuckRows);
				await setRows(row(101), row(102, { stuckSince: 10, app: "SMART_MOBILITY", trouble: "dead-lettered" }));
				expect(await storage.payments.countStuck({}, 1000)).toBe(5);
				expect(await storage.payments.countStuck({ app: "SMART_MOBILITY", trouble: "dead-lettered" }, 1000)).toBe(1);
				expect(await storage.payments.countStuck({ app: "SMART_MOBILITY", trouble: "knack-5xx" }, 1000)).toBe(0);
				expect(ids(await storage.payments.stuck({ trouble: "knack-5xx" }, { limit: 10 }))).toEqual([104, 106]);
				await storage.readModel.reset();
				expect(await storage.payments.stuckCounts()).toEqual([]);
				expect(await storage.payments.stuck({}, { limit: 10 })).toEqual([]);
				expect(await storage.payments.search("inv", 10)).toEqual([]);
			});

			test("search: any key by its start, lower-cased, exact first; a key a row no longer has is gone", async () => {
				await setRows(
					row(2022, { invoice: "INV2022-100250", knackRecords: { "2022:successful:message": "6B00AA" } }),
					row(20221, { invoice: "INV2022-100251", parentRecordId: "64ABC" }),
					row(3, { invoice: "OTHER-3" }),
				);
				const found = async (prefix: string) =>
					(await storage.payments.search(prefix, 10)).map((m) => [m.row.citybaseId, m.field, m.key]);
				expect(await found("inv2022")).toEqual([
					[2022, "invoice", "inv2022-100250"],
					[20221, "invoice", "inv2022-100251"],
				]);
				expect(await found("2022")).toEqual([
					[2022, "payment", "2022"],
					[20221, "payment", "20221"],
				]);
				expect(await found("6b00")).toEqual([[2022, "message", "6b00aa"]]);
				expect(await found("64abc")).toEqual([[20221, "reservation", "64abc"]]);
				expect(await found("5f0000000000000000000003")).toEqual([[3, "transaction", "5f0000000000000000000003"]]);
				expect((await storage.payments.search("inv2022-100250", 10))[0]?.row).toMatchObject({
					citybaseId: 2022,
					invoice: "INV2022-100250",
				});
				expect(await storage.payments.search("inv", 1)).toHaveLength(1);
				await setRows(row(3, { invoice: "RENAMED-3" }));
				expect(await found("other")).toEqual([]);
				expect(await found("renamed")).toEqual([[3, "invoice", "renamed-3"]]);
			});

			test("recent payments newest first by their last delivery, a page at a time either way; and how far the fold got", async () => {
				await setRows(
					row(1, { lastDeliverySeq: 30 }),
					row(2, { lastDeliverySeq: 10 }),
					row(3, { lastDeliverySeq: 20 }),
				);
				expect(ids(await storage.payments.recent({ limit: 2 }))).toEqual([1, 3]);
				expect(ids(await storage.payments.recent({ before: 20, limit: 2 }))).toEqual([2]);
				expect(ids(await storage.payments.recent({ after: 10, limit: 1 }))).toEqual([3]);
				expect(ids(await storage.payments.recent({ after: 10, limit: 2 }))).toEqual([1, 3]);
				expect(await storage.payments.foldedTo()).toBe(await storage.events.lastSeq());
			});
		});

		describe("operator jobs", () => {
			const job = (id: string, createdAt: number, extra: Partial<OperatorJob> = {}): OperatorJob => ({
				id,
				who: "Ana Ruiz",
				by: "console",
				what: "Retry all shown: 2 stuck payments",
				payments: [101, 102],
				createdAt,
				state: "running",
				results: {},
				note: null,
				holder: "a",
				leaseUntil: 1000,
				auditFrom: 7,
				audited: false,
				finishedAt: null,
				...extra,
			});

			test("a job is kept as given, listed newest first, and found by each payment it covers", async () => {
				await storage.jobs.create(job("j1", 1));
				await storage.jobs.create(job("j2", 2, { state: "finished", finishedAt: 9, audited: true, holder: null }));
				expect(await storage.jobs.get("j1")).toEqual(job("j1", 1));
				expect(await storage.jobs.get("nope")).toBeNull();
				expect((await storage.jobs.recent(10)).map((j) => j.id)).toEqual(["j2", "j1"]);
				expect((await storage.jobs.recent(1)).map((j) => j.id)).toEqual(["j2"]);
				await storage.jobs.create(job("j3", 3, { payments: [102, 103] }));
				expect((await storage.jobs.covering(102)).map((j) => j.id)).toEqual(["j3", "j2", "j1"]);
				expect((await storage.jobs.covering(103)).map((j) => j.id)).toEqual(["j3"]);
				expect(await storage.jobs.covering(104)).toEqual([]);
			});

			test("its holder saves progress; once another took it over, the first holder's saves are refused", async () => {
				await storage.jobs.create(job("j1", 1));
				const results = { "101": { state: "done" as const, text: "3 written, 0 already done" } };
				expect(await storage.jobs.save("j1", "a", { results, leaseUntil: 2000, audited: true })).toBe(true);
				expect(await storage.jobs.get("j1")).toEqual(job("j1", 1, { results, leaseUntil: 2000, audited: true }));
				expect(await storage.jobs.takeOver("b", 1500, 9000)).toBeNull();
				expect(await storage.jobs.takeOver("b", 2000, 9000)).toEqual(
					job("j1", 1, { results, leaseUntil: 9000, audited: true, holder: "b" }),
				);
				expect(await storage.jobs.save("j1", "a", { state: "finished" })).toBe(false);
				expect(await storage.jobs.save("j1", "b", { state: "finished", note: "stopped", finishedAt: 9 })).toBe(true);
				expect(await storage.jobs.get("j1")).toMatchObject({ state: "finished", note: "stopped", finishedAt: 9 });
				expect(await storage.jobs.takeOver("c", 99_999, 100_000)).toBeNull();
			});

			test("the oldest running job whose lease ran out is taken over, by one taker only", async () => {
				await storage.jobs.create(job("j2", 2, { leaseUntil: 0 }));
				await storage.jobs.create(job("j1", 1, { leaseUntil: 0 }));
				await storage.jobs.create(job("j0", 0, { state: "finished" }));
				const taken = await Promise.all(["x", "y", "z"].map((h) => storage.jobs.takeOver(h, 10, 5000)));
				const ids = taken.map((t) => t?.id ?? null).filter((id) => id !== null);
				expect(new Set(ids).size).toBe(ids.length);
				expect(ids.sort()).toEqual(ids.length === 2 ? ["j1", "j2"] : ["j1"]);
			});
		});

		describe("export, import and backup", () => {
			test("an export imported into an empty store reproduces the log; a second import adds nothing", async () => {
				const a = (await append(storage, 1401)).deliverySeq;
				const message = "1401:successful:message";
				await storage.events.recordOutcomes(a, [outcome(message, EventTypes.effectDoubted), outcome(message)], 3, {
					applied: { performed: 1, skipped: 0 },
				});
				await storage.events.appendDelivery(delivery("not json"), { accepted: false, reason: "Invalid JSON" });
				const exported = await collect(storage.transfer.events({ pageSize: 2 }));
				expect(exported.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);

				const copyDir = join(dir, "copy");
				const copy = await open(copyDir);
				try {
					const importer = copy.transfer.importer();
					const batch = exported.map((event, i) => ({ event, lineNumber: i + 1 }));
					for (const { event, lineNumber } of batch) expect(await importer.check(event, lineNumber)).toBe("new");
					expect(await importer.apply(batch)).toEqual({ inserted: 7, skipped: 0 });
					expect(await importer.apply(batch)).toEqual({ inserted: 0, skipped: 7 });
					expect(await collect(copy.transfer.events())).toEqual(exported);
					expect(await copy.events.outcomesOf(1401, "successful")).toEqual(
						await storage.events.outcomesOf(1401, "successful"),
					);
					// The log goes on after the imported positions.
					expect((await append(copy, 1402)).deliverySeq).toBe(8);
				} finally {
					await copy.close();
				}
			});

			test("a different event at a position already taken refuses the whole batch", async () => {
				await append(storage, 1501);
				const [first, second] = await collect(storage.transfer.events());
				const changed: ImportedEvent = { ...(second as ImportedEvent), invoice: "INV-changed" };
				const third: ImportedEvent = { ...(first as ImportedEvent), seq: 3 };
				const importer = storage.transfer.importer();
				await expect(importer.check(changed, 2)).rejects.toThrow(TransferError);
				await expect(
					importer.apply([
						{ event: third, lineNumber: 1 },
						{ event: changed, lineNumber: 2 },
					]),
				).rejects.toThrow("line 2: event 2 differs from the one already in the log (invoice)");
				expect(await storage.events.lastSeq()).toBe(2);
			});

			test("a backup holds every event, counted from the copy once written, and never overwrites", async () => {
				await append(storage, 1601);
				const path = join(dir, "backup.copy");
				expect(await storage.transfer.backup(path)).toMatchObject({ events: 2 });
				await expect(storage.transfer.backup(path)).rejects.toThrow("already exists");
			});
		});
	});
}
