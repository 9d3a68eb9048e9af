import { decodeEvent, type EventRow } from "../events/decode.ts";
import { EventTypes } from "../events/types.ts";
import type { DeliveryRow, DeliverySummary } from "./storage.ts";

/**
 * What the operator queries make of the rows each adapter reads, written once: the
 * adapters differ in how they ask (dialect, parameter limits), not in what an answer is.
 */

/** A delivery as listed, from its verdict event's row (which carries the payment id, status and invoice). */
export function deliveryRowOf(row: EventRow): DeliveryRow {
	const verdict = decodeEvent(row);
	return {
		deliverySeq: verdict.deliverySeq ?? verdict.seq,
		receivedAt: verdict.recordedAt,
		accepted: verdict.type === EventTypes.accepted,
		citybaseId: verdict.citybaseId,
		status: verdict.paymentStatus,
		invoice: verdict.invoice,
		reason: verdict.type === EventTypes.rejected ? verdict.data.reason : null,
	};
}

/** The event types a delivery's summary counts. */
export const summarisedTypes = [
	EventTypes.effectSucceeded,
	EventTypes.effectFailed,
	EventTypes.applied,
	EventTypes.deadLettered,
] as const;

/** Each delivery's summary, from counts of its events by type (`summarisedTypes`); a delivery with none has zeros. */
export function deliverySummariesOf(
	deliverySeqs: number[],
	counts: Iterable<{ deliverySeq: number | null; type: string; count: number }>,
): Map<number, DeliverySummary> {
	const summaries = new Map<number, DeliverySummary>();
	for (const seq of deliverySeqs) summaries.set(seq, { succeeded: 0, failed: 0, applied: false, deadLettered: false });
	for (const row of counts) {
		const summary = summaries.get(row.deliverySeq as number);
		if (!summary) continue;
		if (row.type === EventTypes.effectSucceeded) summary.succeeded = row.count;
		else if (row.type === EventTypes.effectFailed) summary.failed = row.count;
		else if (row.type === EventTypes.applied) summary.applied = true;
		else summary.deadLettered = true;
	}
	return summaries;
}
