import { expect, test } from "bun:test";
import { decodeEvent } from "../../src/events/decode.ts";
import { EventTypes } from "../../src/events/types.ts";
import { doubtOf, eventRow, oldDoubt } from "../support/events.ts";

/** A row read back is the event it was written as; an old log's takeover doubt is read as the doubt it recorded. */

test("an old log's takeover doubt, an effect.failed that never called Knack, is read as effect.doubted", () => {
	expect<unknown>(decodeEvent(eventRow(EventTypes.effectFailed, oldDoubt("recovery")))).toEqual(
		eventRow(EventTypes.effectDoubted, doubtOf(oldDoubt("recovery"))),
	);
});

test.each([
	["Knack answered", { knackStatus: 500 }],
	["the call took time", { durationMs: 300 }],
	["another error", { error: "fetch failed" }],
	["a certain failure", { certain: true }],
])("a failed call is a failed call (%s)", (_, differs) => {
	const failed = eventRow(EventTypes.effectFailed, { ...oldDoubt("recovery"), ...differs });
	expect<unknown>(decodeEvent(structuredClone(failed))).toEqual(failed);
});

test("every other event reads as it was written", () => {
	const applied = eventRow(EventTypes.applied, { performed: 2, skipped: 1 });
	expect<unknown>(decodeEvent(structuredClone(applied))).toEqual(applied);
});
