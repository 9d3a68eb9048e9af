import { and, asc, eq, gte, inArray, lte, or, sql } from "drizzle-orm";
import type { Keyring } from "../../events/bodyKeys.ts";
import { acceptedDelivery, decodeEvent } from "../../events/decode.ts";
import { type EventType, EventTypes, outcomeTypes, type StoredEvent } from "../../events/types.ts";
import { receivedEvent, verdictEvent } from "../deliveryEvents.ts";
import type { PendingDeliveries } from "../pending.ts";
import type { ClaimRequest, ClaimResult, EventStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import type { GroupCommitter } from "./groupCommit.ts";
import { createSqlitePending } from "./pending.ts";
import { claims, events } from "./schema.ts";

/**
 * The SQLite adapter's event log and claims. Writes are group-committed
 * (`groupCommit.ts`): each resolves once durable, sharing its fsync with the writes of
 * postbacks that arrived at the same time. The work inside a transaction is synchronous
 * (bun:sqlite commits at the first `await`); reads answer promises only to keep to the
 * storage interface, which a network database must be able to implement.
 */
export type EventRow = typeof events.$inferSelect;
type Row = EventRow;

/** The body as a plain Uint8Array over bun:sqlite's own Buffer of it, not a copy: a scan of the log copied every body. */
export function toEvent(row: Row): StoredEvent {
	const { body } = row;
	return decodeEvent({ ...row, body: body ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : null });
}

export function createSqliteEventStore(
	open: OpenDatabase,
	committer: GroupCommitter,
	keyring: Keyring | null = null,
	/** shared with the operator queries, so one floor serves recovery, metrics and health */
	pending: PendingDeliveries = createSqlitePending(open),
): EventStore {
	const { sqlite, db } = open;
	const insertEvent = db
		.insert(events)
		.values({
			seq: sql.placeholder("seq"),
			type: sql.placeholder("type"),
			recordedAt: sql.placeholder("recordedAt"),
			deliverySeq: sql.placeholder("deliverySeq"),
			citybaseId: sql.placeholder("citybaseId"),
			paymentStatus: sql.placeholder("paymentStatus"),
			invoice: sql.placeholder("invoice"),
			effectKey: sql.placeholder("effectKey"),
			body: sql.placeholder("body"),
			data: sql.placeholder("data"),
		})
		.returning({ seq: events.seq })
		.prepare();

	type Insert = {
		/** null: the next position, assigned by SQLite */
		seq?: number | null;
		type: EventType;
		recordedAt: number;
		deliverySeq?: number | null;
		citybaseId?: number | null;
		paymentStatus?: string | null;
		invoice?: string | null;
		effectKey?: string | null;
		body?: Buffer | null;
		data?: Record<string, unknown> | null;
	};
	const append = (e: Insert): number => {
		const row = insertEvent.get({
			seq: e.seq ?? null,
			type: e.type,
			recordedAt: e.recordedAt,
			deliverySeq: e.deliverySeq ?? null,
			citybaseId: e.citybaseId ?? null,
			paymentStatus: e.paymentStatus ?? null,
			invoice: e.invoice ?? null,
			effectKey: e.effectKey ?? null,
			body: e.body ?? null,
			data: e.data ?? null,
		});
		if (!row) throw new Error("event append returned no position");
		return row.seq;
	};

	/**
	 * The position the next insert would get, as AUTOINCREMENT picks it: past the largest
	 * seq ever used (sqlite_sequence), not only past the rows there now. A sealed body
	 * binds its position (the associated data), and the log refuses UPDATE, so the body is
	 * sealed before its insert, at the position it is then inserted at explicitly. Safe
	 * because it runs inside the group's IMMEDIATE transaction: this connection holds the
	 * write lock, so no other process can take that position in between, and a write
	 * rolled back to its savepoint rolls sqlite_sequence back with it.
	 */
	const selectNextSeq = sqlite.query<{ next: number }, []>(
		`select max(coalesce((select seq from sqlite_sequence where name = 'events'), 0),
		            coalesce((select max(seq) from events), 0)) + 1 as next`,
	);
	const nextSeq = (): number => (selectNextSeq.get() as { next: number }).next;

	const selectOutcomes = db
		.select()
		.from(events)
		.where(
			and(
				eq(events.citybaseId, sql.placeholder("citybaseId")),
				eq(events.paymentStatus, sql.placeholder("status")),
				inArray(events.type, [...outcomeTypes]),
			),
		)
		.orderBy(asc(events.seq))
		.prepare();
	const selectBySeq = db
		.select()
		.from(events)
		.where(eq(events.seq, sql.placeholder("seq")))
		.prepare();
	const selectAccepted = db
		.select()
		.from(events)
		.where(and(eq(events.deliverySeq, sql.placeholder("seq")), eq(events.type, EventTypes.accepted)))
		.prepare();
	/** What an outcome event copies from its delivery's verdict: not its data, whose JSON a write has no use for. */
	const selectPaymentOf = db
		.select({ citybaseId: events.citybaseId, paymentStatus: events.paymentStatus, invoice: events.invoice })
		.from(events)
		.where(and(eq(events.deliverySeq, sql.placeholder("seq")), eq(events.type, EventTypes.accepted)))
		.prepare();
	const selectClaim = db
		.select()
		.from(claims)
		.where(eq(claims.key, sql.placeholder("key")))
		.prepare();
	// Prepared once: built per call, drizzle's query building was a tenth of a postback's CPU (bench --profile).
	const upsertClaim = db
		.insert(claims)
		.values({
			key: sql.placeholder("key"),
			holder: sql.placeholder("holder"),
			deliverySeq: sql.placeholder("deliverySeq"),
			claimedAt: sql.placeholder("claimedAt"),
			expiresAt: sql.placeholder("expiresAt"),
		})
		.onConflictDoUpdate({
			target: claims.key,
			set: {
				holder: sql`excluded.holder`,
				deliverySeq: sql`excluded.delivery_seq`,
				claimedAt: sql`excluded.claimed_at`,
				expiresAt: sql`excluded.expires_at`,
			},
		})
		.prepare();
	/** Judges and takes a claim inside the caller's write (the group's IMMEDIATE transaction). */
	const takeClaim = ({ key, holder, now, leaseMs }: ClaimRequest, deliverySeq: number): ClaimResult => {
		const current = selectClaim.get({ key });
		if (current && current.holder !== holder && current.expiresAt > now) {
			return { state: "held", holder: current.holder, expiresAt: current.expiresAt };
		}
		upsertClaim.run({ key, holder, deliverySeq, claimedAt: now, expiresAt: now + leaseMs });
		return { state: "claimed", inherited: current !== undefined && current.holder !== holder };
	};
	const deleteStaleClaim = db
		.delete(claims)
		.where(
			and(
				eq(claims.key, sql.placeholder("key")),
				or(lte(claims.expiresAt, sql.placeholder("at")), eq(claims.deliverySeq, sql.placeholder("deliverySeq"))),
			),
		)
		.prepare();
	const deleteClaim = db
		.delete(claims)
		.where(and(eq(claims.key, sql.placeholder("key")), eq(claims.holder, sql.placeholder("holder"))))
		.prepare();
	const selectRange = db
		.select()
		.from(events)
		.where(and(gte(events.seq, sql.placeholder("from")), lte(events.seq, sql.placeholder("to"))))
		.orderBy(asc(events.seq))
		.limit(sql.placeholder("limit"))
		.prepare();

	const selectDeadLettered = db
		.select({ n: sql<number>`count(distinct ${events.deliverySeq})` })
		.from(events)
		.where(eq(events.type, EventTypes.deadLettered))
		.prepare();

	return {
		appendDelivery(delivery, verdict, claim) {
			return committer.write(() => {
				const seq = nextSeq();
				const deliverySeq = append({ seq, ...receivedEvent(delivery, keyring, seq) });
				append(verdictEvent(delivery, deliverySeq, verdict));
				if (verdict.accepted && claim) return { deliverySeq, claim: takeClaim(claim, deliverySeq) };
				return { deliverySeq };
			});
		},

		recordOutcomes(deliverySeq, outcomes, now, { release, applied, dropStaleClaim }) {
			const accepted = selectPaymentOf.get({ seq: deliverySeq });
			const payment = {
				recordedAt: now,
				deliverySeq,
				citybaseId: accepted?.citybaseId ?? null,
				paymentStatus: accepted?.paymentStatus ?? null,
				invoice: accepted?.invoice ?? null,
			};
			return committer.write(() => {
				for (const outcome of outcomes) {
					append({ ...payment, type: outcome.type, effectKey: outcome.effectKey, data: outcome.data });
				}
				if (applied) append({ ...payment, type: EventTypes.applied, data: applied });
				if (release) deleteClaim.run(release);
				if (dropStaleClaim) deleteStaleClaim.run({ ...dropStaleClaim, deliverySeq });
			});
		},

		async recordDeadLetter(deliverySeq, reason, attempts, now) {
			const accepted = selectPaymentOf.get({ seq: deliverySeq });
			await committer.write(() =>
				append({
					type: EventTypes.deadLettered,
					recordedAt: now,
					deliverySeq,
					citybaseId: accepted?.citybaseId ?? null,
					paymentStatus: accepted?.paymentStatus ?? null,
					invoice: accepted?.invoice ?? null,
					data: { reason, attempts },
				}),
			);
		},

		async recordOperatorAction(action, now) {
			await committer.write(() =>
				append({
					type: EventTypes.operatorAction,
					recordedAt: now,
					deliverySeq: action.deliverySeq,
					citybaseId: action.citybaseId,
					paymentStatus: action.status,
					invoice: action.invoice,
					data: action.data,
				}),
			);
		},

		claim(key, holder, deliverySeq, now, leaseMs) {
			// Read and write in one IMMEDIATE transaction (the group's), so two processes never both claim.
			return committer.write(() => takeClaim({ key, holder, now, leaseMs }, deliverySeq));
		},

		async outcomesOf(citybaseId, status) {
			return selectOutcomes.all({ citybaseId, status }).map(toEvent);
		},

		async get(seq) {
			const row = selectBySeq.get({ seq });
			return row ? toEvent(row) : null;
		},

		async accepted(deliverySeq) {
			const row = selectAccepted.get({ seq: deliverySeq });
			return row ? acceptedDelivery(row) : null;
		},

		async ofDelivery(deliverySeq) {
			return db
				.select()
				.from(events)
				.where(sql`${events.seq} = ${deliverySeq} or ${events.deliverySeq} = ${deliverySeq}`)
				.orderBy(asc(events.seq))
				.all()
				.map(toEvent);
		},

		async byPayment(citybaseId) {
			return withDeliveries(db.select().from(events).where(eq(events.citybaseId, citybaseId)).all());
		},

		async byInvoice(invoice) {
			return withDeliveries(db.select().from(events).where(eq(events.invoice, invoice)).all());
		},

		async *range(from, to, pageSize = 2000) {
			let next = from;
			while (next <= to) {
				const page = selectRange.all({ from: next, to, limit: pageSize });
				for (const row of page) yield toEvent(row);
				if (page.length < pageSize) return;
				next = (page.at(-1) as Row).seq + 1;
			}
		},

		async incomplete(limit = 1000) {
			return pending.oldest(limit);
		},

		async lastSeq() {
			return lastSeq();
		},

		async counts() {
			return {
				events: lastSeq(),
				incomplete: (await pending.summary()).pending,
				deadLettered: selectDeadLettered.get()?.n ?? 0,
			};
		},
	};

	function lastSeq(): number {
		const row = sqlite.query<{ seq: number | null }, []>("select max(seq) as seq from events").get();
		return row?.seq ?? 0;
	}

	/** The payment's events plus the `delivery.received` events they belong to, in log order. */
	function withDeliveries(rows: Row[]): StoredEvent[] {
		const deliverySeqs = [...new Set(rows.map((r) => r.deliverySeq).filter((s): s is number => s !== null))];
		const received =
			deliverySeqs.length === 0 ? [] : db.select().from(events).where(inArray(events.seq, deliverySeqs)).all();
		return [...rows, ...received].sort((a, b) => a.seq - b.seq).map(toEvent);
	}
}
