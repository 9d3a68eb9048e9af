import {
	type AcceptedData,
	type AcceptedDelivery,
	type EffectDoubtedData,
	type EffectFailedData,
	type EventEnvelope,
	EventTypes,
	type StoredEvent,
} from "./types.ts";

/** A row of the log as a store reads it: its `data` already parsed from JSON, its type a string. */
export type EventRow = EventEnvelope & { type: string; data: unknown };

/**
 * A row of the log becomes the event it is: the one place a store's row is taken at its
 * word (the log holds only what `Outcome`s and the append wrote, and the import checked),
 * so everything past the store reads typed events. In place, as a store's page of rows
 * is most of what a rebuild allocates.
 *
 * An old log's rows mean what they meant: before `effect.doubted`, a takeover's doubt was
 * an `effect.failed` that never called Knack, marked by its text, no status, no duration
 * and `certain: false`. It is read as the doubt it was, so it is looked up before a retry
 * as it always was, and neither shown nor counted as a failed call.
 */
export function decodeEvent(row: EventRow): StoredEvent {
	if (row.type === EventTypes.effectFailed) {
		const doubt = recordedAsFailure(row.data as EffectFailedData);
		if (doubt) {
			row.type = EventTypes.effectDoubted;
			row.data = doubt;
		}
	}
	return row as StoredEvent;
}

/** The error an `effect.failed` carried when it recorded a takeover's doubt. */
const takeoverDoubtError = "claim taken over from a holder whose lease ran out: its insert may have reached Knack";

function recordedAsFailure(failure: EffectFailedData): EffectDoubtedData | null {
	const { error, certain, knackStatus, durationMs } = failure;
	if (error !== takeoverDoubtError || certain || knackStatus !== null || durationMs !== 0) return null;
	const { kind, by, method, objectKey } = failure;
	return { kind, by, method, objectKey };
}

/** The delivery a stored `delivery.accepted` row stands for (its data carries the parsed payment). */
export function acceptedDelivery(row: Pick<EventRow, "deliverySeq" | "recordedAt" | "data">): AcceptedDelivery {
	return {
		deliverySeq: row.deliverySeq as number,
		receivedAt: row.recordedAt,
		payment: (row.data as AcceptedData).payment,
	};
}
