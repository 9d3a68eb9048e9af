import { and, asc, desc, eq, gte, inArray, isNotNull, lt, lte, notInArray, sql } from "drizzle-orm";
import { decodeEvent } from "../../events/decode.ts";
import { EventTypes, type StoredEvent } from "../../events/types.ts";
import { deliveryRowOf, deliverySummariesOf, summarisedTypes } from "../operatorRows.ts";
import type { PendingDeliveries } from "../pending.ts";
import type { AcceptedRef, DeliveryFilter, DeliveryRow, DeliverySummary, OperatorQueries } from "../storage.ts";
import { anyOf } from "./anyOf.ts";
import type { OpenDatabase } from "./database.ts";
import { createPostgresBacklog, createPostgresPending } from "./pending.ts";
import { claims, eventColumnsWithoutBody, events } from "./schema.ts";

/** The operators' read-only questions, answered from the PostgreSQL database. */
export function createPostgresOperatorQueries(
	open: OpenDatabase,
	pending: PendingDeliveries = createPostgresPending(open),
): OperatorQueries {
	return {
		listDeliveries: (filter, limit) => listDeliveries(open, filter, limit),
		deliverySummaries: (seqs) => deliverySummaries(open, seqs),
		openDeadLetters: (limit) => openDeadLetters(open, limit),
		countAccepted: (from, to) => countAccepted(open, from, to),
		acceptedIn: (from, to) => acceptedIn(open, from, to),
		paymentsEvents: (ids) => paymentsEvents(open, ids),
		currentClaims: () => currentClaims(open),
		backlog: createPostgresBacklog(open, pending),
	};
}

/** Deliveries by their verdict event (which carries the payment id, status and invoice), newest first. */
async function listDeliveries({ db }: OpenDatabase, filter: DeliveryFilter, limit: number): Promise<DeliveryRow[]> {
	const verdicts = filter.rejectedOnly ? [EventTypes.rejected] : [EventTypes.accepted, EventTypes.rejected];
	const conditions = [inArray(events.type, verdicts)];
	if (filter.citybaseId !== undefined) conditions.push(eq(events.citybaseId, filter.citybaseId));
	if (filter.invoice !== undefined) conditions.push(eq(events.invoice, filter.invoice));
	if (filter.status !== undefined) conditions.push(eq(events.paymentStatus, filter.status));
	if (filter.since !== undefined) conditions.push(gte(events.recordedAt, filter.since));
	if (filter.until !== undefined) conditions.push(lt(events.recordedAt, filter.until));
	const query = db
		.select()
		.from(events)
		.where(and(...conditions))
		.orderBy(desc(events.seq));
	return (await (limit > 0 ? query.limit(limit) : query)).map(deliveryRowOf);
}

/** How far each delivery got: Knack outcomes and whether it was applied or dead-lettered. */
async function deliverySummaries({ db }: OpenDatabase, deliverySeqs: number[]): Promise<Map<number, DeliverySummary>> {
	if (deliverySeqs.length === 0) return deliverySummariesOf(deliverySeqs, []);
	const counts = await db
		.select({ deliverySeq: events.deliverySeq, type: events.type, count: sql<number>`count(*)`.mapWith(Number) })
		.from(events)
		.where(and(anyOf(events.deliverySeq, deliverySeqs), inArray(events.type, [...summarisedTypes])))
		.groupBy(events.deliverySeq, events.type);
	return deliverySummariesOf(deliverySeqs, counts);
}

/** Dead-lettered deliveries that no replay has applied since, oldest first. */
async function openDeadLetters({ db }: OpenDatabase, limit: number): Promise<number[]> {
	const applied = db
		.select({ seq: events.deliverySeq })
		.from(events)
		.where(and(eq(events.type, EventTypes.applied), isNotNull(events.deliverySeq)));
	const rows = await db
		.select({ seq: events.deliverySeq })
		.from(events)
		.where(and(eq(events.type, EventTypes.deadLettered), notInArray(events.deliverySeq, applied)))
		.orderBy(asc(events.deliverySeq))
		.limit(limit);
	return rows.map((r) => r.seq as number);
}

/** How many deliveries were accepted with positions in [from, to]: the total a progress bar counts to. */
async function countAccepted({ db }: OpenDatabase, from: number, to: number): Promise<number> {
	return db.$count(events, and(eq(events.type, EventTypes.accepted), gte(events.seq, from), lte(events.seq, to)));
}

/** Accepted deliveries in [from, to], a page at a time: only the three columns a replay selects by. */
async function* acceptedIn({ db }: OpenDatabase, from: number, to: number): AsyncGenerator<AcceptedRef> {
	for (let next = from; next <= to; ) {
		const page = await db
			.select({ seq: events.seq, citybaseId: events.citybaseId, status: events.paymentStatus })
			.from(events)
			.where(
				and(
					eq(events.type, EventTypes.accepted),
					gte(events.seq, next),
					lte(events.seq, to),
					isNotNull(events.citybaseId),
				),
			)
			.orderBy(asc(events.seq))
			.limit(2000);
		yield* page as AcceptedRef[];
		if (page.length < 2000) return;
		next = (page.at(-1) as AcceptedRef).seq + 1;
	}
}

/**
 * The events of many payments at once (their deliveries' `delivery.received` excluded,
 * so no body is read), by payment: one query per page of a whole-log replay.
 */
async function paymentsEvents({ db }: OpenDatabase, citybaseIds: number[]): Promise<Map<number, StoredEvent[]>> {
	const byPayment = new Map<number, StoredEvent[]>();
	if (citybaseIds.length === 0) return byPayment;
	const rows = await db
		.select(eventColumnsWithoutBody)
		.from(events)
		.where(anyOf(events.citybaseId, citybaseIds))
		.orderBy(asc(events.seq));
	for (const row of rows) {
		const event = decodeEvent({ ...row, body: null, data: row.data ?? null });
		const list = byPayment.get(row.citybaseId as number) ?? [];
		list.push(event);
		byPayment.set(row.citybaseId as number, list);
	}
	return byPayment;
}

/** The projection claims held right now, by key: few at any time (one per payment being applied). */
async function currentClaims({ db }: OpenDatabase): Promise<Map<string, { holder: string; expiresAt: number }>> {
	const rows = await db.select().from(claims);
	return new Map(rows.map((c) => [c.key, { holder: c.holder, expiresAt: c.expiresAt }]));
}
