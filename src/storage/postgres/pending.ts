import { and, eq, gt, gte, inArray, lte, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { EventTypes, finishingTypes } from "../../events/types.ts";
import { type PendingDeliveries, trackPending } from "../pending.ts";
import type { Backlog } from "../storage.ts";
import { anyOf } from "./anyOf.ts";
import type { OpenDatabase } from "./database.ts";
import { events } from "./schema.ts";

/**
 * The pending deliveries of the PostgreSQL database (`storage/pending.ts` keeps what it
 * has seen), with the same three reads as SQLite's. Positions become visible in order
 * (the log lock: the next appender waits until this commit is visible), which is what
 * lets the tracker read only what is past the position it saw last.
 */
const finishing = alias(events, "finishing");

export function createPostgresPending({ db }: OpenDatabase): PendingDeliveries {
	const isUnfinished = notExists(
		db
			.select({ one: sql`1` })
			.from(finishing)
			.where(and(eq(finishing.deliverySeq, events.deliverySeq), inArray(finishing.type, [...finishingTypes]))),
	);
	const pendingColumns = {
		seq: events.seq,
		deliverySeq: sql<number>`${events.deliverySeq}`.mapWith(Number),
		receivedAt: events.recordedAt,
	};
	const accepted = eq(events.type, EventTypes.accepted);

	return trackPending({
		async lastSeq() {
			const [row] = await db.select({ seq: sql<number>`coalesce(max(${events.seq}), 0)`.mapWith(Number) }).from(events);
			return row?.seq ?? 0;
		},
		unfinishedBetween: (after, upTo) =>
			db
				.select(pendingColumns)
				.from(events)
				.where(and(accepted, gt(events.seq, after), lte(events.seq, upTo), isUnfinished)),
		async stillUnfinished(deliverySeqs) {
			const rows = await db
				.select({ deliverySeq: pendingColumns.deliverySeq })
				.from(events)
				.where(and(accepted, anyOf(events.deliverySeq, deliverySeqs), isUnfinished));
			return new Set(rows.map((row) => row.deliverySeq));
		},
		accepted: (seqs) => db.select().from(events).where(anyOf(events.seq, seqs)),
	});
}

/** The recovery backlog for health: the pending deliveries, and how many were dead-lettered at or after `since`. */
export function createPostgresBacklog(
	{ db }: OpenDatabase,
	pending: PendingDeliveries,
): (since: number) => Promise<Backlog> {
	return async (since) => {
		const [dead] = await db
			.select({ n: sql<number>`count(distinct ${events.deliverySeq})`.mapWith(Number) })
			.from(events)
			.where(and(eq(events.type, EventTypes.deadLettered), gte(events.recordedAt, since)));
		return { ...(await pending.summary()), deadLettered: dead?.n ?? 0 };
	};
}
