import { and, asc, eq, gte, inArray, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { type AcceptedData, type AcceptedDelivery, EventTypes, finishingTypes } from "../../events/types.ts";
import type { Backlog } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { events } from "./schema.ts";

/**
 * The accepted deliveries not yet finished (applied or dead-lettered): asked by recovery,
 * by every metrics scrape and by the health monitor every few seconds. A delivery once
 * finished stays so (the log is append-only), so every accepted delivery below the oldest
 * one found unfinished last time is still finished: each question starts there, and reads
 * only the deliveries since, not the whole log. The floor moves only past what one read
 * transaction saw finished. Each unfinished-or-not test is one lookup in the
 * (delivery_seq, type) index; the accepted ones since the floor are a range of events_type.
 */
export interface PendingDeliveries {
	/** how many, and when the oldest was received */
	summary(): { pending: number; oldestReceivedAt: number | null };
	/** the oldest `limit` of them, oldest first */
	oldest(limit: number): AcceptedDelivery[];
}

export function createSqlitePending({ sqlite, db }: OpenDatabase): PendingDeliveries {
	const finishing = alias(events, "finishing");
	const unfinished = and(
		eq(events.type, EventTypes.accepted),
		gte(events.seq, sql.placeholder("floor")),
		notExists(
			db
				.select({ one: sql`1` })
				.from(finishing)
				.where(and(eq(finishing.deliverySeq, events.deliverySeq), inArray(finishing.type, [...finishingTypes]))),
		),
	);
	const summary = db
		.select({
			pending: sql<number>`count(*)`,
			oldestSeq: sql<number | null>`min(${events.seq})`,
			oldestReceivedAt: sql<number | null>`min(${events.recordedAt})`,
		})
		.from(events)
		.where(unfinished)
		.prepare();
	const oldest = db
		.select()
		.from(events)
		.where(unfinished)
		.orderBy(asc(events.seq))
		.limit(sql.placeholder("limit"))
		.prepare();
	const lastSeq = sqlite.query<{ seq: number | null }, []>("select max(seq) as seq from events");

	let floor = 0;
	/** Runs `read` from the floor in one read transaction, and moves the floor to the oldest unfinished it saw. */
	const fromFloor = <T>(read: (floor: number) => { value: T; oldestSeq: number | null }): T =>
		sqlite.transaction(() => {
			const last = lastSeq.get()?.seq ?? 0;
			const { value, oldestSeq } = read(floor);
			floor = oldestSeq ?? last + 1;
			return value;
		})();

	return {
		summary: () =>
			fromFloor((floor) => {
				const found = summary.get({ floor });
				return {
					value: { pending: found?.pending ?? 0, oldestReceivedAt: found?.oldestReceivedAt ?? null },
					oldestSeq: found?.oldestSeq ?? null,
				};
			}),
		oldest: (limit) =>
			fromFloor((floor) => {
				const rows = oldest.all({ floor, limit });
				return {
					value: rows.map((row) => ({
						deliverySeq: row.deliverySeq as number,
						receivedAt: row.recordedAt,
						payment: (row.data as AcceptedData).payment,
					})),
					oldestSeq: rows[0]?.seq ?? null,
				};
			}),
	};
}

/** The recovery backlog for health: the pending deliveries, and how many were dead-lettered at or after `since`. */
export function createSqliteBacklog(
	open: OpenDatabase,
	pending: PendingDeliveries,
): (since: number) => Promise<Backlog> {
	const deadLettered = open.sqlite.query<{ n: number }, [string, number]>(
		"select count(distinct delivery_seq) as n from events where type = ?1 and recorded_at >= ?2",
	);
	return async (since) => ({
		...pending.summary(),
		deadLettered: deadLettered.get(EventTypes.deadLettered, since)?.n ?? 0,
	});
}
