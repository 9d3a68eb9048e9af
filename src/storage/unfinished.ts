import { acceptedDelivery } from "../events/decode.ts";
import { type AcceptedDelivery, EventTypes, finishingTypes } from "../events/types.ts";
import { type EventRow, eventColumns, toEvent } from "./eventLog.ts";
import type { Dialect, Executor } from "./sql.ts";

/**
 * The accepted deliveries not yet finished (applied or dead-lettered), asked by recovery,
 * by every metrics scrape and by the health monitor every few seconds, at a cost in
 * proportion to what is unfinished and to what was appended since the last question, not
 * to the size of the log.
 *
 * Why it can remember: the log is append-only, so a finished delivery stays finished,
 * and positions become visible in order (one writer at a time: `groupCommit.ts`), so
 * once position n is seen every delivery below it is seen. Each question therefore
 * checks only the deliveries it knew unfinished (one index lookup each in the
 * (delivery_seq, type) index) and the accepted deliveries appended since it last looked
 * (a range of the type index). A process asks the whole log once, at its first question.
 *
 * No snapshot is needed across the reads: one that finished in between is dropped at the
 * next question, and one appended in between is past the position read first. Questions
 * may overlap (PostgreSQL answers asynchronously): each only adds what it found
 * unfinished, drops what it found finished, and moves the position forward.
 */
export interface UnfinishedDeliveries {
	/** how many, and when the oldest was received */
	summary(): Promise<{ pending: number; oldestReceivedAt: number | null }>;
	/** the oldest `limit` of them, oldest first */
	oldest(limit: number): Promise<AcceptedDelivery[]>;
}

/** An accepted delivery, as the tracker remembers it: `seq` is its `delivery.accepted` event's position. */
interface Unfinished {
	seq: number;
	deliverySeq: number;
	receivedAt: number;
}

export function trackUnfinished(exec: Executor, d: Dialect): UnfinishedDeliveries {
	const unfinished = `type = '${EventTypes.accepted}' and not exists (select 1 from events finishing
		where finishing.delivery_seq = events.delivery_seq and finishing.type in ('${finishingTypes.join("', '")}'))`;
	const columns = `seq, delivery_seq as "deliverySeq", recorded_at as "receivedAt"`;
	const known = new Map<number, Unfinished>();
	let seenTo = 0;

	async function refresh(): Promise<Unfinished[]> {
		const [{ last }] = (await exec.query<{ last: number }>("select coalesce(max(seq), 0) as last from events")) as [
			{ last: number },
		];
		const checked = [...known.values()];
		const [added, still] = await Promise.all([
			last > seenTo
				? exec.query<Unfinished>(
						`select ${columns} from events where seq > ? and seq <= ? and ${unfinished}`,
						seenTo,
						last,
					)
				: [],
			checked.length > 0
				? exec.query<Unfinished>(
						`select ${columns} from events where ${d.inList("delivery_seq")} and ${unfinished}`,
						d.list(checked.map((row) => row.deliverySeq)),
					)
				: [],
		]);
		const unfinishedNow = new Set(still.map((row) => row.deliverySeq));
		for (const row of checked) if (!unfinishedNow.has(row.deliverySeq)) known.delete(row.seq);
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
			if (seqs.length === 0) return [];
			const rows = await exec.query<EventRow>(
				`select ${eventColumns(d)} from events where ${d.inList("seq")} order by seq`,
				d.list(seqs),
			);
			return rows.map((row) => acceptedDelivery(toEvent(d, row)));
		},
	};
}
