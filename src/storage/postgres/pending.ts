import { and, asc, eq, gte, inArray, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { type AcceptedData, type AcceptedDelivery, EventTypes, finishingTypes } from "../../events/types.ts";
import type { Backlog } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import type { Transaction } from "./groupCommit.ts";
import { events } from "./schema.ts";

/**
 * The accepted deliveries not yet finished, with the same floor as the SQLite adapter's
 * (`sqlite/pending.ts`): a delivery once finished stays so, so each question starts at
 * the oldest one found unfinished last time. Positions commit in order (the log lock), so
 * a snapshot that sees position n sees everything below it, and the floor never passes a
 * delivery still to commit. One repeatable-read snapshot per question: the floor moves
 * past what it saw finished, and no further.
 */
export interface PendingDeliveries {
	/** how many, and when the oldest was received */
	summary(): Promise<{ pending: number; oldestReceivedAt: number | null }>;
	/** the oldest `limit` of them, oldest first */
	oldest(limit: number): Promise<AcceptedDelivery[]>;
}

const finishing = alias(events, "finishing");

export function createPostgresPending({ db }: OpenDatabase): PendingDeliveries {
	const unfinished = (floor: number) =>
		and(
			eq(events.type, EventTypes.accepted),
			gte(events.seq, floor),
			notExists(
				db
					.select({ one: sql`1` })
					.from(finishing)
					.where(and(eq(finishing.deliverySeq, events.deliverySeq), inArray(finishing.type, [...finishingTypes]))),
			),
		);
	const lastSeq = async (tx: Transaction) =>
		(await tx.select({ seq: sql<number>`coalesce(max(${events.seq}), 0)`.mapWith(Number) }).from(events))[0]?.seq ?? 0;

	let floor = 0;
	const fromFloor = <T>(read: (tx: Transaction, floor: number) => Promise<{ value: T; oldestSeq: number | null }>) =>
		db.transaction(
			async (tx) => {
				const last = await lastSeq(tx);
				const { value, oldestSeq } = await read(tx, floor);
				floor = oldestSeq ?? last + 1;
				return value;
			},
			{ isolationLevel: "repeatable read", accessMode: "read only" },
		);

	return {
		summary: () =>
			fromFloor(async (tx, floor) => {
				const [found] = await tx
					.select({
						pending: sql<number>`count(*)`.mapWith(Number),
						oldestSeq: sql<number | null>`min(${events.seq})`.mapWith(Number),
						oldestReceivedAt: sql<number | null>`min(${events.recordedAt})`.mapWith(Number),
					})
					.from(events)
					.where(unfinished(floor));
				return {
					value: { pending: found?.pending ?? 0, oldestReceivedAt: found?.oldestReceivedAt ?? null },
					oldestSeq: found?.oldestSeq ?? null,
				};
			}),
		oldest: (limit) =>
			fromFloor(async (tx, floor) => {
				const rows = await tx.select().from(events).where(unfinished(floor)).orderBy(asc(events.seq)).limit(limit);
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
