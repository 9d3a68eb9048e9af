import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { EventTypes, type Outcome } from "../src/events/types.ts";
import { doubtOf, oldDoubt } from "./support/events.ts";
import { appIds, type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";

/**
 * docs/design.md §5: every Knack write happens once per (payment, status, effect kind), whatever
 * is redelivered, whatever fails midway, whoever else is delivering the same payment.
 */

const ids = { transaction: "5f4000000000000000000001", lpb: "5f4000000000000000000002" };
let h: Harness;
let nextId = 84_000_000;

beforeAll(async () => {
	h = await startHarness({
		env: { POSTBACK_DEADLINE_SECONDS: "2", CLAIM_LEASE_SECONDS: "3", KNACK_TIMEOUT_SECONDS: "0.3" },
	});
	h.sandbox.put(appIds.STREET_BANNER, "object_180", {
		id: ids.transaction,
		field_3326: [{ id: ids.lpb, identifier: "4" }],
	});
	h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.lpb });
});
afterAll(() => h.stop());
beforeEach(() => {
	h.sandbox.clearFaults();
	h.sandbox.clearCalls();
});

const successful = (id = nextId++) =>
	postback({
		id,
		status: "successful",
		knackRecordId: ids.transaction,
		bannerType: "LAMPPOST",
		parentRecordId: ids.lpb,
	});
const writes = () =>
	h.sandbox
		.calls()
		.filter((c) => c.method !== "GET" && c.status === 200)
		.map((c) => `${c.method} ${c.objectKey}`);
/** Takes the claim as another process would leave it, taken 5 s ago: still live (expiring later) or expired. */
async function leaveClaim(id: number, holder: string, expiresInMs: number) {
	const taken = await h.service.store.claim(`${id}:successful`, holder, 0, Date.now() - 5000, 5000 + expiresInMs);
	expect(taken.state).toBe("claimed");
}
/** Releases it, as its holder does when it records its outcome. */
const dropClaim = (id: number, holder: string) =>
	h.service.store.recordOutcomes(0, [], Date.now(), { release: { key: `${id}:successful`, holder } });
const messagesFor = (id: number) =>
	h.sandbox.records(appIds.STREET_BANNER, "object_181").filter((r) => r.field_3378_raw === id || r.field_3378 === id);

test("a redelivery of an applied postback answers 200 and calls Knack not at all", async () => {
	const body = successful();
	expect((await h.post(body)).status).toBe(200);
	expect(writes()).toEqual(["POST object_181", "PUT object_161", "PUT object_180"]);
	h.sandbox.clearCalls();
	for (let i = 0; i < 3; i++) {
		const again = await h.post(body);
		expect(again.status).toBe(200);
		expect(await again.text()).toBe("Payment status updated");
	}
	expect(h.sandbox.calls()).toEqual([]);
});

test("a postback that failed midway resumes at the first unfinished write", async () => {
	const body = successful();
	h.sandbox.inject({ method: "PUT", objectKey: "object_161", status: 400, body: "field_2809 is invalid" });
	expect((await h.post(body)).status).toBe(400);
	h.sandbox.clearCalls();
	expect((await h.post(body)).status).toBe(200);
	expect(writes()).toEqual(["PUT object_161", "PUT object_180"]);
	expect(messagesFor(body.data.id as number)).toHaveLength(1);
});

test("a payment that goes successful and later refunded projects both", async () => {
	const id = nextId++;
	expect((await h.post(successful(id))).status).toBe(200);
	const refund = postback({ id, status: "refunded", knackRecordId: ids.transaction });
	expect((await h.post(refund)).status).toBe(200);
	expect(writes()).toEqual([
		"POST object_181",
		"PUT object_161",
		"PUT object_180",
		"POST object_181",
		"POST object_180",
	]);
	h.sandbox.clearCalls();
	expect((await h.post(refund)).status).toBe(200);
	expect((await h.post(successful(id))).status).toBe(200);
	expect(h.sandbox.calls()).toEqual([]);
});

test("identical deliveries at the same instant produce one set of writes, and both are answered 200", async () => {
	const body = successful();
	h.sandbox.inject({ method: "POST", objectKey: "object_181", delayMs: 150 });
	const answers = await Promise.all([h.post(body), h.post(body), h.post(body)]);
	expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
	expect(writes()).toEqual(["POST object_181", "PUT object_161", "PUT object_180"]);
});

test("a claim left by a process that died is taken over after its lease, and the insert is looked up first", async () => {
	const body = successful();
	const id = body.data.id as number;
	// What a holder that crashed right after Knack accepted the message leaves behind:
	// the message in Knack, a claim in the database, no outcome in the log.
	h.sandbox.put(appIds.STREET_BANNER, "object_181", { field_3378: id, field_3367: "successful" });
	await leaveClaim(id, "dead-process:1", -1000);
	expect((await h.post(body)).status).toBe(200);
	const [lookup] = h.sandbox.calls();
	expect(lookup?.method).toBe("GET");
	expect(JSON.parse(lookup?.query.filters ?? "{}").rules).toEqual([
		{ field: "field_3378", operator: "is", value: id },
		{ field: "field_3367", operator: "is", value: "successful" },
	]);
	expect(writes()).toEqual(["PUT object_161", "PUT object_180"]);
	expect(messagesFor(id)).toHaveLength(1);
	// The doubt is an event of its own, before the lookup that resolved it: no failed call is recorded.
	const outcomes = (await h.service.store.outcomesOf(id, "successful")).map((e) => `${e.type} ${e.effectKey}`);
	expect(outcomes).toEqual([
		`effect.doubted ${id}:successful:message`,
		`effect.succeeded ${id}:successful:message`,
		`effect.succeeded ${id}:successful:parent`,
		`effect.succeeded ${id}:successful:transaction`,
	]);
});

test("a takeover that fails before its lookup leaves the doubt in the log, so the next holder looks up too", async () => {
	const body = successful();
	const id = body.data.id as number;
	h.sandbox.put(appIds.STREET_BANNER, "object_181", { field_3378: id, field_3367: "successful" });
	await leaveClaim(id, "dead-process:2", -1000);
	// The inheritor's lookup is refused (a 4xx is not retried), so it fails before resolving the doubt.
	h.sandbox.inject({ method: "GET", objectKey: "object_181", status: 404 });
	expect((await h.post(body)).status).toBe(404);
	expect((await h.post(body)).status).toBe(200);
	expect(messagesFor(id)).toHaveLength(1);
});

test("a live claim held by someone else makes a delivery wait, then answer from the outcome", async () => {
	const body = successful();
	const id = body.data.id as number;
	await leaveClaim(id, "other:1", 60_000);
	const answer = h.post(body);
	await Bun.sleep(300);
	expect(h.sandbox.calls()).toEqual([]);
	await dropClaim(id, "other:1");
	expect((await answer).status).toBe(200);
	expect(writes()).toEqual(["POST object_181", "PUT object_161", "PUT object_180"]);
});

test("a delivery still waiting on another's claim at its deadline answers 503", async () => {
	const body = successful();
	await leaveClaim(body.data.id as number, "other:2", 60_000);
	const answer = await h.post(body);
	expect(answer.status).toBe(503);
	expect(h.sandbox.calls()).toEqual([]);
	await dropClaim(body.data.id as number, "other:2");
});

describe("the log tells what was done", () => {
	test("every Knack write and every failed attempt is an event tied to its delivery", async () => {
		const body = successful();
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 500 });
		expect((await h.post(body)).status).toBe(200);
		const rows = (await h.service.store.byPayment(body.data.id as number)).filter(
			(e) => e.type !== EventTypes.received,
		);
		const id = body.data.id;
		expect(rows.map((r) => `${r.type} ${r.effectKey ?? ""}`.trim())).toEqual([
			"delivery.accepted",
			`effect.succeeded ${id}:successful:message`,
			`effect.succeeded ${id}:successful:parent`,
			`effect.failed ${id}:successful:transaction`,
			`effect.succeeded ${id}:successful:transaction`,
			"delivery.applied",
		]);
		const failed = rows[3]?.data;
		expect(failed).toMatchObject({ knackStatus: 500, method: "PUT", objectKey: "object_180", certain: false });
		const written = rows[1];
		expect(written?.type === EventTypes.effectSucceeded && written.data.recordId).toMatch(/^[0-9a-f]{24}$/);
	});
});

describe("recovery finishes what CityBase gave up on", () => {
	let r: Harness;
	beforeAll(async () => {
		r = await startHarness({
			env: {
				POSTBACK_DEADLINE_SECONDS: "0.5",
				CLAIM_LEASE_SECONDS: "1",
				KNACK_TIMEOUT_SECONDS: "0.2",
				// One attempt of its own: the ones the postback's request made before do not count.
				RECOVERY_MAX_ATTEMPTS: "1",
				RECOVERY_INTERVAL_SECONDS: "0.01",
			},
		});
		r.sandbox.put(appIds.STREET_BANNER, "object_180", { id: ids.transaction });
		r.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.lpb });
	});
	afterAll(() => r.stop());
	const recoveryWrites = () =>
		r.sandbox
			.calls()
			.filter((c) => c.method !== "GET" && c.status === 200)
			.map((c) => `${c.method} ${c.objectKey}`);

	test("an incomplete delivery is finished by the recovery worker once Knack is back", async () => {
		r.sandbox.inject({ method: "PUT", objectKey: "object_161", status: 503, times: 1000 });
		const body = successful();
		expect((await r.post(body)).status).toBe(503);
		r.sandbox.clearFaults();
		r.sandbox.clearCalls();
		expect((await r.service.store.counts()).incomplete).toBe(1);
		// Recovery leaves deliveries younger than the deadline to their own request.
		await Bun.sleep(600);
		expect(await r.service.recovery.runOnce()).toEqual({ finished: 1, failed: 0, deadLettered: 0 });
		expect(recoveryWrites()).toEqual(["PUT object_161", "PUT object_180"]);
		expect((await r.service.store.counts()).incomplete).toBe(0);
		const attempts = (await r.service.store.byPayment(body.data.id as number))
			.filter((e) => e.type === EventTypes.effectSucceeded || e.type === EventTypes.effectFailed)
			.map((e) => `${e.type} ${e.data.kind} by ${e.data.by}`);
		expect(attempts).toContain("effect.failed parent by postback");
		expect(attempts.slice(-2)).toEqual([
			"effect.succeeded parent by recovery",
			"effect.succeeded transaction by recovery",
		]);
	});

	const oldStyle = (id: number): Outcome => ({
		type: EventTypes.effectFailed,
		effectKey: `${id}:successful:message`,
		data: oldDoubt("recovery"),
	});
	const doubt = (id: number): Outcome => ({
		type: EventTypes.effectDoubted,
		effectKey: `${id}:successful:message`,
		data: doubtOf(oldDoubt("recovery")),
	});

	test.each([
		["a doubt (effect.doubted)", doubt],
		["an old log's doubt (an effect.failed that called nothing)", oldStyle],
	])(
		"%s left by recovery's takeover is no attempt: the next pass looks the insert up and finishes",
		async (_, left) => {
			// The message is refused (a 400 is not retried), so the postback leaves it undone, certain it was not written.
			r.sandbox.inject({ method: "POST", objectKey: "object_181", status: 400 });
			const body = successful();
			const id = body.data.id as number;
			expect((await r.post(body)).status).toBe(400);
			// Then recovery took the claim over from a holder that had written the message, recorded its doubt and died.
			r.sandbox.put(appIds.STREET_BANNER, "object_181", { field_3378: id, field_3367: "successful" });
			const [delivery] = await r.service.store.incomplete();
			expect(delivery?.payment.citybaseId).toBe(id);
			await r.service.store.recordOutcomes(delivery?.deliverySeq ?? 0, [left(id)], Date.now(), {});
			r.sandbox.clearCalls();
			await Bun.sleep(600);
			// RECOVERY_MAX_ATTEMPTS is 1: counted as an attempt, the doubt would dead-letter the delivery.
			expect(await r.service.recovery.runOnce()).toEqual({ finished: 1, failed: 0, deadLettered: 0 });
			expect(r.sandbox.calls()[0]).toMatchObject({ method: "GET", objectKey: "object_181" });
			expect(recoveryWrites()).toEqual(["PUT object_161", "PUT object_180"]);
			const messages = r.sandbox
				.records(appIds.STREET_BANNER, "object_181")
				.filter((m) => m.field_3378_raw === id || m.field_3378 === id);
			expect(messages).toHaveLength(1);
		},
	);

	test("a delivery that keeps failing is dead-lettered, as an event, and left for an operator", async () => {
		r.sandbox.inject({ method: "PUT", objectKey: "object_161", status: 500, times: 10_000 });
		const body = successful();
		expect((await r.post(body)).status).toBe(500);
		await Bun.sleep(600);
		let tally = { finished: 0, failed: 0, deadLettered: 0 };
		for (let pass = 0; pass < 20 && tally.deadLettered === 0; pass++) {
			tally = await r.service.recovery.runOnce();
			await Bun.sleep((await r.service.store.counts()).incomplete ? 50 : 0);
		}
		expect(tally.deadLettered).toBe(1);
		expect(await r.service.store.counts()).toMatchObject({ incomplete: 0, deadLettered: 1 });
		const events = (await r.service.store.byPayment(body.data.id as number)).map((e) => e.type);
		expect(events.at(-1)).toBe("delivery.dead_lettered");
		r.sandbox.clearFaults();
	});
});
