import type { EventRow } from "../../src/events/decode.ts";
import type { EffectFailedData, ProjectedBy } from "../../src/events/types.ts";

/** A row of the log as a store hands it to its decoder: one event of payment 70000001's message, as given. */
export const eventRow = (type: string, data: unknown): EventRow => ({
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

/**
 * A claim takeover's doubt on a message insert as logs written before `effect.doubted`
 * hold it: an `effect.failed` that never called Knack (no status, no duration, certain
 * false, this text). Such a log must still read as it meant.
 */
export const oldDoubt = (by: ProjectedBy): EffectFailedData => ({
	kind: "message",
	by,
	objectKey: "object_181",
	durationMs: 0,
	method: "POST",
	recordId: null,
	knackStatus: null,
	error: "claim taken over from a holder whose lease ran out: its insert may have reached Knack",
	certain: false,
});

/** The doubt `oldDoubt` stands for, as `effect.doubted` records it. */
export const doubtOf = ({ kind, by, method, objectKey }: EffectFailedData) => ({ kind, by, method, objectKey });
