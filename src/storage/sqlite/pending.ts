import { and, eq, gt, inArray, lte, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { EventTypes, finishingTypes } from "../../events/types.ts";
import { type PendingDeliveries, trackPending } from "../pending.ts";
import type { Backlog } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { events } from "./schema.ts";

/**
 * The pending deliveries of a SQLite file (`storage/pending.ts` keeps what it has seen).
 * The accepted ones since the last question are a range of events_type; whether one is
 * finished is a lookup in the (delivery_seq, type) index. A list of deliveries goes as
 * one JSON parameter, so no bound on SQLite's parameters limits its length.
 */
export function createSqlitePending({ sqlite, db }: OpenDatabase): PendingDeliveries {
	const finishing = alias(events, "finishing");
	const isFinished = notExists(
		db
			.select({ one: sql`1` })
			.from(finishing)
			.where(and(eq(finishing.deliverySeq, events.deliverySeq), inArray(finishing.type, [...finishingTypes]))),
	);
	const pendingColumns = {
		seq: events.seq,
		deliverySeq: sql<number>`${events.deliverySeq}`,
		receivedAt: events.recordedAt,
	};
	const unfinishedBetween = db
		.select(pendingColumns)
		.from(events)
		.where(
			and(
				eq(events.type, EventTypes.accepted),
				gt(events.seq, sql.placeholder("after")),
				lte(events.seq, sql.placeholder("upTo")),
				isFinished,
			),
		)
		.prepare();
	const listed = (column: typeof events.seq | typeof events.deliverySeq) =>
		sql`${column} in (select value from json_each(${sql.placeholder("list")}))`;
	const stillUnfinished = db
		.select({ deliverySeq: sql<number>`${events.deliverySeq}` })
		.from(events)
		.where(and(eq(events.type, EventTypes.accepted), listed(events.deliverySeq), isFinished))
		.prepare();
	const accepted = db.select().from(events).where(listed(events.seq)).prepare();
	const lastSeq = sqlite.query<{ seq: number | null }, []>("select max(seq) as seq from events");

	return trackPending({
		lastSeq: async () => lastSeq.get()?.seq ?? 0,
		unfinishedBetween: async (after, upTo) => unfinishedBetween.all({ after, upTo }),
		stillUnfinished: async (deliverySeqs) =>
			new Set(stillUnfinished.all({ list: JSON.stringify(deliverySeqs) }).map((row) => row.deliverySeq)),
		accepted: async (seqs) => accepted.all({ list: JSON.stringify(seqs) }),
	});
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
		...(await pending.summary()),
		deadLettered: deadLettered.get(EventTypes.deadLettered, since)?.n ?? 0,
	});
}
