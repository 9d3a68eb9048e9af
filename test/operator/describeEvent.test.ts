import { expect, test } from "bun:test";
import { describeEffect, describeEvent } from "../../src/application/operator/describeEvent.ts";
import { EventTypes, type StoredEvent } from "../../src/events/types.ts";

/** An event's wording, as the CLI prints it and the console lays it out: one place, plain data in. */

const event = (type: StoredEvent["type"], data: Record<string, unknown>): StoredEvent => ({
	seq: 7,
	type,
	recordedAt: 0,
	deliverySeq: 3,
	citybaseId: 70_000_001,
	paymentStatus: "successful",
	invoice: "INV-1",
	effectKey: "70000001:successful:message",
	body: null,
	data,
});
const call = { kind: "message", method: "POST", objectKey: "object_181", durationMs: 5 };

test.each([
	[
		"written by the postback",
		event(EventTypes.effectSucceeded, { ...call, by: "postback", recordId: "r1", knackStatus: 200, via: "call" }),
		{ name: "message written", call: "POST object_181", result: "200 record r1" },
	],
	[
		"found by a lookup, by recovery",
		event(EventTypes.effectSucceeded, { ...call, by: "recovery", recordId: "r1", knackStatus: 200, via: "lookup" }),
		{ name: "message written by recovery", call: "POST object_181", result: "200 record r1, found already in Knack" },
	],
	[
		"failed without a clear answer",
		event(EventTypes.effectFailed, {
			...call,
			kind: "transaction",
			method: "PUT",
			objectKey: "object_180",
			by: "replay",
			recordId: "t1",
			knackStatus: null,
			error: "timeout",
			certain: false,
		}),
		{
			name: "transaction failed by replay",
			call: "PUT object_180/t1",
			result: "no answer: timeout (may have been applied)",
		},
	],
	[
		"an operator's repair",
		event(EventTypes.operatorAction, { who: "ana", action: "replay", by: "console", what: "replay", result: "done" }),
		{ name: "replay by ana (console)", call: "", result: "done" },
	],
	[
		"a delivery applied",
		event(EventTypes.applied, { performed: 2, skipped: 1 }),
		{ name: "delivery.applied", call: "", result: "2 written, 1 already done" },
	],
	["a delivery accepted", event(EventTypes.accepted, {}), { name: "delivery accepted", call: "", result: "" }],
])("%s", (_, e, expected) => {
	expect(describeEvent(e)).toEqual(expected);
});

test("the console's phrases for one failed write: the status, and the doubt beside Knack's text", () => {
	const failed = event(EventTypes.effectFailed, {
		...call,
		by: "postback",
		recordId: null,
		knackStatus: 500,
		error: "boom",
		certain: false,
	});
	expect(describeEffect(failed)).toMatchObject({
		written: false,
		by: null,
		knackStatus: 500,
		note: "may have been applied",
		error: "boom",
	});
});
