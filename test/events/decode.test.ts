import { expect, test } from "bun:test";
import { decodeEvent } from "../../src/events/decode.ts";
import { EventTypes } from "../../src/events/types.ts";

/** A row read back is the event it was written as; an old log's takeover doubt is read as the doubt it recorded. */

const row = (type: string, data: unknown) => ({
	seq: 9,
	type,
	recordedAt: 1_755_000_000_000,
	deliverySeq: 4,
	citybaseId: 70_000_001,
	paymentStatus: "successful",
	invoice: "INV-1",
	effectKey: "70000001:successful:message",
	body: null,
	data,
});

/** An `effect.failed` as a takeover wrote it before `effect.doubted` existed. */
const oldDoubt = {
	kind: "message",
	by: "recovery",
	objectKey: "object_181",
	durationMs: 0,
	method: "POST",
	recordId: null,
	knackStatus: null,
	error: "claim taken over from a holder whose lease ran out: its insert may have reached Knack",
	certain: false,
};

test("an old log's takeover doubt, an effect.failed that never called Knack, is read as effect.doubted", () => {
	expect<unknown>(decodeEvent(row(EventTypes.effectFailed, oldDoubt))).toEqual(
		row(EventTypes.effectDoubted, { kind: "message", by: "recovery", method: "POST", objectKey: "object_181" }),
	);
});

test.each([
	["Knack answered", { knackStatus: 500 }],
	["the call took time", { durationMs: 300 }],
	["another error", { error: "fetch failed" }],
	["a certain failure", { certain: true }],
])("a failed call is a failed call (%s)", (_, differs) => {
	const failed = row(EventTypes.effectFailed, { ...oldDoubt, ...differs });
	expect<unknown>(decodeEvent(structuredClone(failed))).toEqual(failed);
});

test("every other event reads as it was written", () => {
	const applied = row(EventTypes.applied, { performed: 2, skipped: 1 });
	expect<unknown>(decodeEvent(structuredClone(applied))).toEqual(applied);
});
