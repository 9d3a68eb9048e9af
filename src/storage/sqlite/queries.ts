import { and, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { decodeEvent, type EventRow } from "../../events/decode.ts";
import { EventTypes, type StoredEvent } from "../../events/types.ts";
import { deliveryRowOf, deliverySummariesOf, summarisedTypes } from "../operatorRows.ts";
import type { PendingDeliveries } from "../pending.ts";
import type { AcceptedRef, DeliveryFilter, DeliveryRow, DeliverySummary, OperatorQueries } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { createSqliteBacklog, createSqlitePending } from "./pending.ts";
import { claims, events } from "./schema.ts";

/** The operators' read-only questions, answered from the SQLite file. */
export function createSqliteOperatorQueries(
	open: OpenDatabase,
	pending: PendingDeliveries = createSqlitePending(open),
): OperatorQueries {
	const eventsOf = paymentsEvents(open);
	return {
		listDeliveries: async (filter, limit) => listDeliveries(open, filter, limit),
		deliverySummaries: async (seqs) => deliverySummaries(open, seqs),
		openDeadLetters: async (limit) => openDeadLetters(open, limit),
		countAccepted: async (from, to) => countAccepted(open, from, to),
		acceptedIn: acceptedIn(open),
		paymentsEvents: async (ids) => eventsOf(ids),
		currentClaims: async () => currentClaims(open),
		backlog: createSqliteBacklog(open, pending),
	};
}

/** Deliveries by their verdict event (which carries the payment id, status and invoice), newest first. */
function listDeliveries({ db }: OpenDatabase, filter: DeliveryFilter, limit: number): DeliveryRow[] {
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
	return (limit > 0 ? query.limit(limit) : query).all().map(deliveryRowOf);
}

/** How far each delivery got: Knack outcomes and whether it was applied or dead-lettered. */
function deliverySummaries({ db }: OpenDatabase, deliverySeqs: number[]): Map<number, DeliverySummary> {
	const counts: { deliverySeq: number | null; type: string; count: number }[] = [];
	// SQLite caps bound parameters; a listing of every delivery is asked in slices.
	for (let i = 0; i < deliverySeqs.length; i += 500) {
		const slice = deliverySeqs.slice(i, i + 500);
		counts.push(
			...db
				.select({ deliverySeq: events.deliverySeq, type: events.type, count: sql<number>`count(*)` })
				.from(events)
				.where(and(inArray(events.deliverySeq, slice), inArray(events.type, [...summarisedTypes])))
				.groupBy(events.deliverySeq, events.type)
				.all(),
		);
	}
	return deliverySummariesOf(deliverySeqs, counts);
}

/** Dead-lettered deliveries that no replay has applied since, oldest first. */
function openDeadLetters({ sqlite }: OpenDatabase, limit: number): number[] {
	return sqlite
		.query<{ seq: number }, [string, string, number]>(
			`select delivery_seq as seq from events where type = ?1
			 and delivery_seq not in (select delivery_seq from events where type = ?2 and delivery_seq is not null)
			 order by seq limit ?3`,
		)
		.all(EventTypes.deadLettered, EventTypes.applied, limit)
		.map((r) => r.seq);
}

/** How many deliveries were accepted with positions in [from, to]: the total a progress bar counts to. */
function countAccepted({ sqlite }: OpenDatabase, from: number, to: number): number {
	return (
		sqlite
			.query<{ n: number }, [string, number, number]>(
				"select count(*) as n from events where type = ?1 and seq between ?2 and ?3",
			)
			.get(EventTypes.accepted, from, to)?.n ?? 0
	);
}

/** Accepted deliveries in [from, to] by the type index: the log's other events are never read. */
function acceptedIn({ sqlite }: OpenDatabase): (from: number, to: number) => AsyncGenerator<AcceptedRef> {
	const query = sqlite.query<AcceptedRef, [string, number, number, number]>(
		`select seq, citybase_id as citybaseId, payment_status as status from events
		 where type = ?1 and seq between ?2 and ?3 and citybase_id is not null order by seq limit ?4`,
	);
	return async function* (from, to) {
		for (let next = from; next <= to; ) {
			const page = query.all(EventTypes.accepted, next, to, 2000);
			yield* page;
			if (page.length < 2000) return;
			next = (page.at(-1) as AcceptedRef).seq + 1;
		}
	};
}

/**
 * The events of many payments at once (their deliveries' `delivery.received` excluded,
 * so no body is read), by payment: a replay of the whole log asks for its payments a
 * page at a time, one prepared statement per page instead of one query per payment.
 * Ordered as the citybase_id index is (payment, then position), so SQLite sorts nothing.
 */
function paymentsEvents({ sqlite }: OpenDatabase): (citybaseIds: number[]) => Map<number, StoredEvent[]> {
	const query = sqlite.query<Omit<EventRow, "data" | "body"> & { data: string | null }, [string]>(
		`select seq, type, recorded_at as recordedAt, delivery_seq as deliverySeq, citybase_id as citybaseId,
		 payment_status as paymentStatus, invoice, effect_key as effectKey, data
		 from events where citybase_id in (select value from json_each(?1)) order by citybase_id, seq`,
	);
	return (citybaseIds) => {
		const byPayment = new Map<number, StoredEvent[]>();
		for (const row of query.all(JSON.stringify(citybaseIds))) {
			const event = decodeEvent({ ...row, body: null, data: row.data === null ? null : JSON.parse(row.data) });
			const list = byPayment.get(row.citybaseId as number) ?? [];
			list.push(event);
			byPayment.set(row.citybaseId as number, list);
		}
		return byPayment;
	};
}

/** The projection claims held right now, by key: few at any time (one per payment being applied). */
function currentClaims({ db }: OpenDatabase): Map<string, { holder: string; expiresAt: number }> {
	return new Map(
		db
			.select()
			.from(claims)
			.all()
			.map((c) => [c.key, { holder: c.holder, expiresAt: c.expiresAt }]),
	);
}
