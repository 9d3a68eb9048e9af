import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { EventTypes } from "../src/events/types.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";

/**
 * docs/design.md §2: every rule, its status and its message; rejected deliveries are
 * logged, never sent to Knack.
 */

let h: Harness;
beforeAll(async () => {
	h = await startHarness();
});
afterAll(() => h.stop());

const valid = () => postback({ id: 70000001, status: "voided" });
type Data = Record<string, unknown>;
const withData = (change: (data: Data) => void) => {
	const body = valid();
	change(body.data);
	return body;
};
const withAttributes = (attributes: { key: string; value: unknown }[], status = "voided") =>
	withData((d) => {
		d.status = status;
		d.custom_attributes = attributes;
	});
const base = [
	{ key: "knack_record_id", value: "638e5bd41370e500241c3e1f" },
	{ key: "invoice_number", value: "INV2022-100250" },
];

const cases: [string, unknown, string][] = [
	["id missing", withData((d) => delete d.id), "Validation error: data.id is required"],
	["id a string", withData((d) => (d.id = "70000001")), "Validation error: data.id must be integer"],
	["id a fraction", withData((d) => (d.id = 1.5)), "Validation error: data.id must be integer"],
	[
		"id beyond 2^53",
		JSON.stringify(valid()).replace('"id":70000001', '"id":18014398509481985'),
		"Validation error: data.id must be at most 9007199254740991",
	],
	["status missing", withData((d) => delete d.status), "Validation error: data.status is required"],
	["status a number", withData((d) => (d.status = 3)), "Validation error: data.status must be string"],
	["amount a string", withData((d) => (d.amount = "50.00")), "Validation error: data.amount must be number"],
	["total_amount null", withData((d) => (d.total_amount = null)), "Validation error: data.total_amount must be number"],
	["service_fee missing", withData((d) => delete d.service_fee), "Validation error: data.service_fee is required"],
	[
		"payment_type a number",
		withData((d) => (d.payment_type = 1)),
		"Validation error: data.payment_type must be string",
	],
	["agency missing", withData((d) => delete d.agency), "Validation error: data.agency is required"],
	["created_at a number", withData((d) => (d.created_at = 1)), "Validation error: data.created_at must be string"],
	["line_items an object", withData((d) => (d.line_items = {})), "Validation error: data.line_items must be array"],
	[
		"line_items of numbers",
		withData((d) => (d.line_items = [1])),
		"Validation error: data.line_items[0] must be object",
	],
	[
		"custom_attributes missing",
		withData((d) => delete d.custom_attributes),
		"Validation error: data.custom_attributes is required",
	],
	[
		"custom attribute key a number",
		withAttributes([{ key: 1 as unknown as string, value: "x" }]),
		"Validation error: data.custom_attributes[0].key must be string",
	],
	[
		"custom attribute value null",
		withAttributes([{ key: "knack_record_id", value: null }]),
		"Validation error: data.custom_attributes[0].value must be string",
	],
	["voidable a string", withData((d) => (d.voidable = "yes")), "Validation error: data.voidable must be boolean"],
	["refundable a number", withData((d) => (d.refundable = 0)), "Validation error: data.refundable must be boolean"],
	[
		"payment_source_channel a number",
		withData((d) => (d.payment_source_channel = 1)),
		"Validation error: data.payment_source_channel must be string",
	],
	[
		"associated payment id a string",
		withData((d) => (d.associated_payments = [{ id: "1", status: "refunded" }])),
		"Validation error: data.associated_payments[0].id must be integer",
	],
	[
		"knack_record_id missing",
		withAttributes([base[1] as { key: string; value: string }]),
		"Malformed custom attributes: knack_record_id is required",
	],
	[
		"invoice_number missing",
		withAttributes([base[0] as { key: string; value: string }]),
		"Malformed custom attributes: invoice_number is required",
	],
	[
		"knack_record_id empty",
		withAttributes([{ key: "knack_record_id", value: "" }, base[1] as { key: string; value: string }]),
		"Malformed custom attributes: knack_record_id must not be empty",
	],
	[
		"knack_record_id a path segment",
		withAttributes([{ key: "knack_record_id", value: ".." }, base[1] as { key: string; value: string }]),
		'Malformed custom attributes: knack_record_id must be a Knack record id, not "." or ".."',
	],
	[
		"knack_app unknown",
		withAttributes([...base, { key: "knack_app", value: "PARKING" }]),
		"Malformed custom attributes: knack_app must be one of STREET_BANNER, SMART_MOBILITY",
	],
	[
		"banner_type unknown",
		withAttributes([...base, { key: "banner_type", value: "FLAG" }]),
		"Malformed custom attributes: banner_type must be one of LAMPPOST, OVER_THE_STREET",
	],
	[
		"successful without parent_record_id",
		withAttributes(base, "successful"),
		"Malformed custom attributes: parent_record_id is required when status is successful",
	],
	["data missing", { payment: {} }, "Validation error: data is required"],
	["data a string", { data: "x" }, "Validation error: data must be object"],
	["body an array", "[1,2]", "Validation error: body must be a JSON object with a data object"],
	["body a string", '"hello"', "Validation error: body must be a JSON object with a data object"],
	["body null", "null", "Validation error: body must be a JSON object with a data object"],
	["malformed JSON", '{"data": {', "Malformed JSON: "],
	["empty body", "", "Empty body: expected a JSON object with a data object"],
	[
		"nested 10,000 levels deep",
		`{"data":${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
		"Malformed JSON: nested 10001 levels deep",
	],
	[
		"brackets inside strings do not count as nesting",
		JSON.stringify({ data: "[".repeat(100) }),
		"Validation error: data must be object",
	],
	["whitespace body", "  \n", "Empty body: expected a JSON object with a data object"],
];

describe("invalid postbacks answer 400 with a message naming the field and the rule", () => {
	for (const [name, body, expected] of cases) {
		test(name, async () => {
			h.sandbox.clearCalls();
			const response = await h.post(typeof body === "string" ? body : JSON.stringify(body));
			expect(response.status).toBe(400);
			expect(await response.text()).toStartWith(expected);
			expect(h.sandbox.calls()).toEqual([]);
		});
	}
});

describe("valid variations are accepted", () => {
	test("unknown extra fields, optional fields absent, parent_record_id absent on a void", async () => {
		const body = withAttributes(base, "voided");
		(body.data as Data).something_new = { nested: true };
		delete (body.data as Data).voidable;
		delete (body.data as Data).associated_payments;
		const response = await h.post(body);
		expect(response.status).toBe(200);
	});

	test("a later custom attribute with the same key wins", async () => {
		h.sandbox.clearCalls();
		const body = withAttributes([...base, { key: "invoice_number", value: "INV-LATER" }], "voided");
		(body.data as Data).id = 70000002;
		expect((await h.post(body)).status).toBe(200);
		const message = h.sandbox.calls().find((c) => c.method === "POST");
		expect(JSON.stringify(message?.body)).toContain("INV-LATER");
	});
});

describe("wrong content", () => {
	test("a non-JSON content type answers 415 and sends nothing to Knack", async () => {
		h.sandbox.clearCalls();
		const response = await h.post(JSON.stringify(valid()), { headers: { "content-type": "text/plain" } });
		expect(response.status).toBe(415);
		expect(await response.text()).toContain("application/json");
		expect(h.sandbox.calls()).toEqual([]);
	});

	test("GET on the postback path answers 405 with Allow: POST", async () => {
		const response = await fetch(`${h.service.url}/citybase_postback`);
		expect(response.status).toBe(405);
		expect(response.headers.get("allow")).toBe("POST");
	});
});

test("rejected deliveries are in the log with their exact bytes and the reason", async () => {
	const raw = JSON.stringify(valid()).replace('"id":70000001', '"id":"not a number"');
	await h.post(raw);
	const last = await h.service.store.lastSeq();
	const rejected = await h.service.store.get(last);
	const received = await h.service.store.get(rejected?.deliverySeq ?? -1);
	expect(rejected?.type).toBe(EventTypes.rejected);
	expect(received?.type).toBe(EventTypes.received);
	expect(new TextDecoder().decode(received?.body ?? undefined)).toBe(raw);
	expect(String(rejected?.type === EventTypes.rejected && rejected.data.reason)).toStartWith(
		"Validation error: data.id must be integer",
	);
});

test("the reason for malformed JSON quotes nothing of the body: it is answered, logged and kept in clear", async () => {
	// Bun's parser would say `Unexpected identifier "Quincy"`.
	const raw = JSON.stringify(valid()).replace('"bank_account":null', '"bank_account":{"account_holder_name":Quincy}');
	expect(raw).toContain("Quincy}");
	const response = await h.post(raw);
	expect(response.status).toBe(400);
	const answer = await response.text();
	expect(answer).toBe("Malformed JSON: the body is not valid JSON");
	const rejected = await h.service.store.get(await h.service.store.lastSeq());
	expect(JSON.stringify(rejected?.data)).not.toContain("Quincy");
	await h.flushLogs();
	expect(h.logs.filter((line) => line.includes("Quincy"))).toEqual([]);
});
