import { expect, test } from "bun:test";
import { describeEffect, describeEvent } from "../../src/application/operator/describeEvent.ts";
import { decodeEvent } from "../../src/events/decode.ts";
import { type EventType, EventTypes, isOutcome } from "../../src/events/types.ts";
import { eventRow, oldDoubt } from "../support/events.ts";

/** An event's wording, as the CLI prints it and the console lays it out: one place, plain data in. */

const event = (type: EventType, data: Record<string, unknown>) => decodeEvent(eventRow(type, data));
const call = { kind: "message", method: "POST", objectKey: "object_181", durationMs: 5 };
const takenOver =
	"claim taken over from a holder whose lease ran out: may be in Knack already, looked up before it is sent";

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
	[
		"an insert a takeover left in doubt, by recovery: no call",
		event(EventTypes.effectDoubted, { kind: "message", by: "recovery", method: "POST", objectKey: "object_181" }),
		{ name: "message in doubt by recovery", call: "POST object_181", result: takenOver },
	],
	[
		"the same doubt in an old log, recorded as a failed call that never called Knack",
		event(EventTypes.effectFailed, oldDoubt("recovery")),
		{ name: "message in doubt by recovery", call: "POST object_181", result: takenOver },
	],
])("%s", (_, e, expected) => {
	expect(describeEvent(e)).toEqual(expected);
});

function outcome(e: ReturnType<typeof event>) {
	if (!isOutcome(e)) throw new Error(`${e.type} is no outcome`);
	return e;
}

test("the console's phrases for one failed write: the status, and the doubt beside Knack's text", () => {
	const failed = event(EventTypes.effectFailed, {
		...call,
		by: "postback",
		recordId: null,
		knackStatus: 500,
		error: "boom",
		certain: false,
	});
	expect(describeEffect(outcome(failed))).toMatchObject({
		state: "failed",
		by: null,
		knackStatus: 500,
		note: "may have been applied",
		error: "boom",
	});
});

test("the console's phrases for a doubt: not a failed call, and why it is in doubt", () => {
	const doubted = event(EventTypes.effectFailed, oldDoubt("postback"));
	expect(describeEffect(outcome(doubted))).toEqual({
		state: "doubted",
		kind: "message",
		by: null,
		method: "POST",
		objectKey: "object_181",
		recordId: null,
		knackStatus: null,
		note: takenOver,
	});
});
