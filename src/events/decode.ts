import type { AcceptedData, AcceptedDelivery, EventEnvelope, StoredEvent } from "./types.ts";

/** A row of the log as a store reads it: its `data` already parsed from JSON, its type a string. */
export type EventRow = EventEnvelope & { type: string; data: unknown };

/**
 * A row of the log becomes the event it is: the one place a store's row is taken at its
 * word (the log holds only what `Outcome`s and the append wrote, and the import checked),
 * so everything past the store reads typed events. In place, as a store's page of rows
 * is most of what a rebuild allocates.
 */
export function decodeEvent(row: EventRow): StoredEvent {
	return row as StoredEvent;
}

/** The delivery a stored `delivery.accepted` row stands for (its data carries the parsed payment). */
export function acceptedDelivery(row: Pick<EventRow, "deliverySeq" | "recordedAt" | "data">): AcceptedDelivery {
	return {
		deliverySeq: row.deliverySeq as number,
		receivedAt: row.recordedAt,
		payment: (row.data as AcceptedData).payment,
	};
}
