import { EventTypes } from "../../events/types.ts";
import type { Backlog } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";

/**
 * The recovery backlog, asked every few seconds by the health monitor. A delivery once
 * applied or dead-lettered stays so (the log is append-only), so every accepted
 * delivery below the oldest one found unfinished last time is still finished: each
 * question starts there, and reads only the deliveries since, not the whole log.
 * Each unfinished-or-not test is one lookup in the (delivery_seq, type) index.
 */
export function createSqliteBacklog({ sqlite }: OpenDatabase): (deadLetteredSince: number) => Promise<Backlog> {
	const unfinished = sqlite.query<
		{ pending: number; oldestSeq: number | null; oldestReceivedAt: number | null },
		[string, number, string, string]
	>(
		`select count(*) as pending, min(e.seq) as oldestSeq, min(e.recorded_at) as oldestReceivedAt
		 from events e where e.type = ?1 and e.seq >= ?2
		 and not exists (select 1 from events f where f.delivery_seq = e.delivery_seq and f.type in (?3, ?4))`,
	);
	const lastSeq = sqlite.query<{ seq: number | null }, []>("select max(seq) as seq from events");
	const deadLettered = sqlite.query<{ n: number }, [string, number]>(
		"select count(distinct delivery_seq) as n from events where type = ?1 and recorded_at >= ?2",
	);
	let floor = 0;
	// One read transaction: the floor moves past what this snapshot saw finished, and no further.
	const read = sqlite.transaction((since: number): Backlog => {
		const last = lastSeq.get()?.seq ?? 0;
		const found = unfinished.get(EventTypes.accepted, floor, EventTypes.applied, EventTypes.deadLettered);
		floor = found?.oldestSeq ?? last + 1;
		return {
			pending: found?.pending ?? 0,
			oldestReceivedAt: found?.oldestReceivedAt ?? null,
			deadLettered: deadLettered.get(EventTypes.deadLettered, since)?.n ?? 0,
		};
	});
	return async (deadLetteredSince) => read(deadLetteredSince);
}
