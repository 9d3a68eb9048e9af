import { acceptedDelivery, type EventRow } from "../events/decode.ts";
import type { AcceptedDelivery } from "../events/types.ts";

/**
 * The accepted deliveries not yet finished (applied or dead-lettered), asked by recovery,
 * by every metrics scrape and by the health monitor every few seconds, at a cost in
 * proportion to what is pending and to what was appended since the last question, not
 * to the size of the log. Each adapter answers three narrow reads; this keeps the rest.
 *
 * Why it can remember: the log is append-only, so a finished delivery stays finished,
 * and positions become visible in order (one writer at a time: SQLite's lock,
 * PostgreSQL's log lock), so once position n is seen every delivery below it is seen.
 * Each question therefore checks only the deliveries it knew unfinished (one index
 * lookup each) and the accepted deliveries appended since it last looked. A process
 * asks the whole log once, at its first question.
 *
 * No snapshot is needed across the reads: one that finished in between is dropped at the
 * next question, and one appended in between is past the position read first. Questions
 * may overlap (PostgreSQL answers asynchronously): each only adds what it found
 * unfinished, drops what it found finished, and moves the position forward.
 */
export interface PendingDeliveries {
	/** how many, and when the oldest was received */
	summary(): Promise<{ pending: number; oldestReceivedAt: number | null }>;
	/** the oldest `limit` of them, oldest first */
	oldest(limit: number): Promise<AcceptedDelivery[]>;
}

/** An accepted delivery, as the tracker remembers it: `seq` is its `delivery.accepted` event's position. */
export interface PendingRow {
	seq: number;
	deliverySeq: number;
	receivedAt: number;
}

export interface PendingReads {
	lastSeq(): Promise<number>;
	/** the accepted deliveries at positions after `after`, up to `upTo`, not finished */
	unfinishedBetween(after: number, upTo: number): Promise<PendingRow[]>;
	/** which of these deliveries are still not finished */
	stillUnfinished(deliverySeqs: number[]): Promise<Set<number>>;
	/** the accepted events at these positions, in any order */
	accepted(seqs: number[]): Promise<AcceptedRow[]>;
}

export type AcceptedRow = Pick<EventRow, "seq" | "deliverySeq" | "recordedAt" | "data">;

export function trackPending(reads: PendingReads): PendingDeliveries {
	const known = new Map<number, PendingRow>();
	let seenTo = 0;

	async function refresh(): Promise<PendingRow[]> {
		const last = await reads.lastSeq();
		const checked = [...known.values()];
		const [added, unfinished] = await Promise.all([
			last > seenTo ? reads.unfinishedBetween(seenTo, last) : Promise.resolve([]),
			checked.length > 0 ? reads.stillUnfinished(checked.map((row) => row.deliverySeq)) : Promise.resolve(new Set()),
		]);
		for (const row of checked) if (!unfinished.has(row.deliverySeq)) known.delete(row.seq);
		for (const row of added) known.set(row.seq, row);
		seenTo = Math.max(seenTo, last);
		return [...known.values()].sort((a, b) => a.seq - b.seq);
	}

	return {
		async summary() {
			const rows = await refresh();
			const oldestReceivedAt = rows.reduce<number | null>(
				(min, row) => Math.min(min ?? row.receivedAt, row.receivedAt),
				null,
			);
			return { pending: rows.length, oldestReceivedAt };
		},
		async oldest(limit) {
			const seqs = (await refresh()).slice(0, limit).map((row) => row.seq);
			const bySeq = new Map((seqs.length > 0 ? await reads.accepted(seqs) : []).map((row) => [row.seq, row]));
			return seqs.flatMap((seq) => {
				const row = bySeq.get(seq);
				return row ? [acceptedDelivery(row)] : [];
			});
		},
	};
}
