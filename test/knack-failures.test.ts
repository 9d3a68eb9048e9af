import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { appIds, type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";
import { streetBanner } from "./support/specFieldIds.ts";

/**
 * docs/design.md §6 and §10: a Knack failure at each step is answered with Knack's status and
 * body text (502/504 when Knack gave no answer), and what was not done is left for
 * the retry; 4xx other than 429 are not retried, 429 and 5xx are, within the deadline.
 */

const ids = { transaction: "5f3000000000000000000001", ots: "5f3000000000000000000002" };
let h: Harness;
let nextId = 83_000_000;

beforeAll(async () => {
	h = await startHarness({
		env: { POSTBACK_DEADLINE_SECONDS: "2", CLAIM_LEASE_SECONDS: "4", KNACK_TIMEOUT_SECONDS: "0.3" },
	});
	h.sandbox.put(appIds.STREET_BANNER, "object_180", {
		id: ids.transaction,
		field_3334: "Chia B",
		field_3326: [],
		field_3327: [{ id: ids.ots, identifier: "12" }],
	});
	h.sandbox.put(appIds.STREET_BANNER, "object_164", { id: ids.ots });
});
afterAll(() => h.stop());
beforeEach(() => {
	h.sandbox.clearFaults();
	h.sandbox.clearCalls();
});

const successful = () =>
	postback({
		id: nextId++,
		status: "successful",
		knackRecordId: ids.transaction,
		bannerType: "OVER_THE_STREET",
		parentRecordId: ids.ots,
	});
const refunded = () => postback({ id: nextId++, status: "refunded", knackRecordId: ids.transaction });
const calls = () =>
	h.sandbox.calls().map((c) => `${c.method} ${c.objectKey}${c.recordId ? `/${c.recordId}` : ""} ${c.status}`);

describe("a Knack 4xx is answered as is, not retried", () => {
	test("on the message insert", async () => {
		h.sandbox.inject({
			method: "POST",
			objectKey: "object_181",
			status: 400,
			body: { errors: [{ message: "Field is required" }] },
		});
		const response = await h.post(successful());
		expect(response.status).toBe(400);
		expect(await response.text()).toBe('{"errors":[{"message":"Field is required"}]}');
		expect(calls()).toEqual(["POST object_181 400"]);
	});

	test("on the parent update: the transaction is not touched", async () => {
		h.sandbox.inject({ method: "PUT", objectKey: "object_164", status: 403, body: "Forbidden" });
		const response = await h.post(successful());
		expect(response.status).toBe(403);
		expect(await response.text()).toBe("Forbidden");
		expect(calls()).toEqual(["POST object_181 200", `PUT object_164/${ids.ots} 403`]);
	});

	test("on the transaction update", async () => {
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 404 });
		const response = await h.post(successful());
		expect(response.status).toBe(404);
		expect(await response.text()).toContain("errors");
	});

	test("on the refund's read of the original transaction", async () => {
		h.sandbox.inject({
			method: "GET",
			objectKey: "object_180",
			status: 404,
			body: { errors: [{ message: "Record not found" }] },
		});
		const response = await h.post(refunded());
		expect(response.status).toBe(404);
		expect(await response.text()).toContain("Record not found");
		expect(calls()).toEqual(["POST object_181 200", `GET object_180/${ids.transaction} 404`]);
	});

	test("on the refund insert", async () => {
		h.sandbox.inject({ method: "POST", objectKey: "object_180", status: 400, body: "bad refund" });
		const response = await h.post(refunded());
		expect(response.status).toBe(400);
		expect(await response.text()).toBe("bad refund");
	});

	test("a wrong Knack key (401) is answered 401", async () => {
		h.sandbox.inject({ method: "POST", status: 401, body: { errors: [{ message: "Invalid API key" }] } });
		const response = await h.post(successful());
		expect(response.status).toBe(401);
	});
});

describe("429 and 5xx are retried within the deadline", () => {
	test("a 429 honours Retry-After and then succeeds", async () => {
		h.sandbox.inject({ method: "PUT", objectKey: "object_164", status: 429, retryAfter: 0.2 });
		const started = Date.now();
		const response = await h.post(successful());
		expect(response.status).toBe(200);
		expect(Date.now() - started).toBeGreaterThanOrEqual(200);
		expect(calls()).toEqual([
			"POST object_181 200",
			`PUT object_164/${ids.ots} 429`,
			`PUT object_164/${ids.ots} 200`,
			`PUT object_180/${ids.transaction} 200`,
		]);
	});

	test("a 500 on an update is retried", async () => {
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 500, times: 2 });
		const response = await h.post(successful());
		expect(response.status).toBe(200);
		expect(calls().filter((c) => c.startsWith("PUT object_180"))).toHaveLength(3);
	});

	test("a 500 on an insert: before trying again, look in Knack for the record", async () => {
		h.sandbox.inject({ method: "POST", objectKey: "object_181", status: 500 });
		const body = successful();
		const response = await h.post(body);
		expect(response.status).toBe(200);
		const [first, lookup, second] = h.sandbox.calls();
		expect(first?.status).toBe(500);
		expect(lookup?.method).toBe("GET");
		expect(lookup?.objectKey).toBe("object_181");
		// The message's logical key (payment id, raw status; docs/design.md §5) in the UAT map the
		// development service uses: a lookup on anything else could miss the record or find
		// another payment's.
		const [, , , statusField, citybaseIdField] = streetBanner.UAT.message;
		expect(JSON.parse(lookup?.query.filters ?? "null")).toEqual({
			match: "and",
			rules: [
				{ field: citybaseIdField, operator: "is", value: body.data.id },
				{ field: statusField, operator: "is", value: "successful" },
			],
		});
		expect(second?.method).toBe("POST");
	});

	test("a persistent 500 is answered with Knack's status and text once the deadline passes", async () => {
		h.sandbox.inject({ method: "PUT", objectKey: "object_180", status: 500, body: "Knack is down", times: 1000 });
		const response = await h.post(successful());
		expect(response.status).toBe(500);
		expect(await response.text()).toBe("Knack is down");
		h.sandbox.clearFaults();
	});
});

describe("no answer from Knack", () => {
	test("Knack unreachable: 502", async () => {
		h.sandbox.inject({ method: "POST", objectKey: "object_181", drop: true, times: 1000 });
		const response = await h.post(successful());
		expect(response.status).toBe(502);
		expect(await response.text()).toContain("could not be reached");
		h.sandbox.clearFaults();
	});

	test("Knack too slow: 504", async () => {
		h.sandbox.inject({ method: "PUT", objectKey: "object_164", delayMs: 1000, times: 1000 });
		const response = await h.post(successful());
		expect(response.status).toBe(504);
		expect(await response.text()).toContain("did not answer");
		h.sandbox.clearFaults();
	});

	test("an insert Knack accepted but never confirmed is found, not repeated", async () => {
		const body = successful();
		h.sandbox.inject({ method: "POST", objectKey: "object_181", drop: true, applyBeforeFailing: true });
		const response = await h.post(body);
		expect(response.status).toBe(200);
		const messages = h.sandbox
			.records(appIds.STREET_BANNER, "object_181")
			.filter((r) => r.field_3378_raw === body.data.id || r.field_3378 === body.data.id);
		expect(messages).toHaveLength(1);
	});
});
