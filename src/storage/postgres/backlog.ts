import { sql } from "drizzle-orm";
import { EventTypes } from "../../events/types.ts";
import type { Backlog } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { events } from "./schema.ts";

/**
 * The recovery backlog, asked every few seconds by the health monitor; the same floor as
 * the SQLite adapter's. A delivery once applied or dead-lettered stays so (the log is
 * append-only), so every accepted delivery below the oldest one found unfinished last
 * time is still finished: each question starts there. Positions commit in order (the
 * log lock), so a snapshot that sees position n sees everything below it, and the floor
 * never passes a delivery still to commit. One repeatable-read snapshot: the floor moves
 * past what it saw finished, and no further.
 */
export function createPostgresBacklog({ db }: OpenDatabase): (deadLetteredSince: number) => Promise<Backlog> {
	let floor = 0;
	return (since) =>
		db.transaction(
			async (tx) => {
				const [found] = await tx.execute<{ pending: string; oldest_seq: string | null; oldest_at: string | null }>(
					sql`select count(*) as pending, min(e.seq) as oldest_seq, min(e.recorded_at) as oldest_at
					from ${events} e where e.type = ${EventTypes.accepted} and e.seq >= ${floor}
					and not exists (select 1 from ${events} f where f.delivery_seq = e.delivery_seq
						and f.type in (${EventTypes.applied}, ${EventTypes.deadLettered}))`,
				);
				const [rest] = await tx.execute<{ last: string; dead: string }>(
					sql`select coalesce(max(${events.seq}), 0) as last,
					(select count(distinct ${events.deliverySeq}) from ${events}
						where ${events.type} = ${EventTypes.deadLettered} and ${events.recordedAt} >= ${since}) as dead
					from ${events}`,
				);
				floor = found?.oldest_seq != null ? Number(found.oldest_seq) : Number(rest?.last ?? 0) + 1;
				return {
					pending: Number(found?.pending ?? 0),
					oldestReceivedAt: found?.oldest_at != null ? Number(found.oldest_at) : null,
					deadLettered: Number(rest?.dead ?? 0),
				};
			},
			{ isolationLevel: "repeatable read", accessMode: "read only" },
		);
}
