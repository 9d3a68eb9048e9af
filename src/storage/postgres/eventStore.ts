import { and, asc, eq, gte, inArray, lte, or, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Keyring } from "../../events/bodyKeys.ts";
import { acceptedDelivery, decodeEvent } from "../../events/decode.ts";
import { EventTypes, outcomeTypes, type StoredEvent } from "../../events/types.ts";
import { receivedEvent, verdictEvent } from "../deliveryEvents.ts";
import type { PendingDeliveries } from "../pending.ts";
import type { ClaimRequest, ClaimResult, EventStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import type { GroupCommitter, Transaction } from "./groupCommit.ts";
import { createPostgresPending } from "./pending.ts";
import { claims, events } from "./schema.ts";

/**
 * The PostgreSQL adapter's event log and claims. Writes to the log are group-committed
 * under the log lock (`groupCommit.ts`); each resolves once its commit is durable. With
 * a keyring, a delivery's body is sealed inside that transaction at the position the
 * lock let it have, before its insert: the log refuses UPDATE, so there is no after.
 */
export type EventRow = typeof events.$inferSelect;
type Row = EventRow;

export function toEvent(row: Row): StoredEvent {
	return decodeEvent({ ...row, body: row.body ? new Uint8Array(row.body) : null, data: row.data ?? null });
}

/**
 * Judges and takes a claim, alone or inside a log write. No row yet: the insert takes it,
 * or waits for a concurrent inserter's commit and yields. A row: it is locked (FOR UPDATE)
 * before it is judged and taken over, so two takers never both win. A row released in
 * between sends us round again. Nothing that holds a claim row waits for the log lock, so
 * a log write waiting here cannot deadlock.
 */
async function takeClaim(
	scope: PostgresJsDatabase | Transaction,
	{ key, holder, now, leaseMs }: ClaimRequest,
	deliverySeq: number,
): Promise<ClaimResult> {
	const lease = { holder, deliverySeq, claimedAt: now, expiresAt: now + leaseMs };
	for (;;) {
		const inserted = await scope
			.insert(claims)
			.values({ key, ...lease })
			.onConflictDoNothing()
			.returning({ key: claims.key });
		if (inserted.length > 0) return { state: "claimed", inherited: false };
		const taken = await scope.transaction(async (tx): Promise<ClaimResult | null> => {
			const [current] = await tx.select().from(claims).where(eq(claims.key, key)).for("update");
			if (!current) return null;
			if (current.holder !== holder && current.expiresAt > now) {
				return { state: "held", holder: current.holder, expiresAt: current.expiresAt };
			}
			await tx.update(claims).set(lease).where(eq(claims.key, key));
			return { state: "claimed", inherited: current.holder !== holder };
		});
		if (taken) return taken;
	}
}

export function createPostgresEventStore(
	open: OpenDatabase,
	committer: GroupCommitter,
	keyring: Keyring | null = null,
	/** shared with the operator queries, so one floor serves recovery, metrics and health */
	pending: PendingDeliveries = createPostgresPending(open),
): EventStore {
	const { db } = open;
	const selectAccepted = db
		.select()
		.from(events)
		.where(and(eq(events.deliverySeq, sql.placeholder("seq")), eq(events.type, EventTypes.accepted)))
		.prepare("select_accepted");
	const selectRange = db
		.select()
		.from(events)
		.where(and(gte(events.seq, sql.placeholder("from")), lte(events.seq, sql.placeholder("to"))))
		.orderBy(asc(events.seq))
		.limit(sql.placeholder("limit"))
		.prepare("select_range");
	const acceptedRow = async (deliverySeq: number) => (await selectAccepted.execute({ seq: deliverySeq }))[0];
	const lastSeq = async () =>
		(await db.select({ seq: sql<number>`coalesce(max(${events.seq}), 0)`.mapWith(Number) }).from(events))[0]?.seq ?? 0;

	/** The payment's events plus the `delivery.received` events they belong to, in log order. */
	async function withDeliveries(rows: Row[]): Promise<StoredEvent[]> {
		const deliverySeqs = [...new Set(rows.map((r) => r.deliverySeq).filter((s): s is number => s !== null))];
		const received =
			deliverySeqs.length === 0 ? [] : await db.select().from(events).where(inArray(events.seq, deliverySeqs));
		return [...rows, ...received].sort((a, b) => a.seq - b.seq).map(toEvent);
	}

	return {
		appendDelivery(delivery, verdict, claim) {
			return committer.write(async (log, tx) => {
				const deliverySeq = log.append((seq) => receivedEvent(delivery, keyring, seq));
				log.append(verdictEvent(delivery, deliverySeq, verdict));
				if (verdict.accepted && claim) return { deliverySeq, claim: await takeClaim(tx, claim, deliverySeq) };
				return { deliverySeq };
			});
		},

		async recordOutcomes(deliverySeq, outcomes, now, { release, applied, dropStaleClaim }) {
			const accepted = await acceptedRow(deliverySeq);
			const payment = {
				recordedAt: now,
				deliverySeq,
				citybaseId: accepted?.citybaseId ?? null,
				paymentStatus: accepted?.paymentStatus ?? null,
				invoice: accepted?.invoice ?? null,
			};
			await committer.write(async (log, tx) => {
				for (const outcome of outcomes) {
					log.append({ ...payment, type: outcome.type, effectKey: outcome.effectKey, data: outcome.data });
				}
				if (applied) log.append({ ...payment, type: EventTypes.applied, data: applied });
				if (release) {
					await tx.delete(claims).where(and(eq(claims.key, release.key), eq(claims.holder, release.holder)));
				}
				if (dropStaleClaim) {
					const stale = or(lte(claims.expiresAt, dropStaleClaim.at), eq(claims.deliverySeq, deliverySeq));
					await tx.delete(claims).where(and(eq(claims.key, dropStaleClaim.key), stale));
				}
			});
		},

		async recordDeadLetter(deliverySeq, reason, attempts, now) {
			const accepted = await acceptedRow(deliverySeq);
			await committer.write((log) =>
				log.append({
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
			await committer.write((log) =>
				log.append({
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
			return takeClaim(db, { key, holder, now, leaseMs }, deliverySeq);
		},

		async outcomesOf(citybaseId, status) {
			const rows = await db
				.select()
				.from(events)
				.where(
					and(
						eq(events.citybaseId, citybaseId),
						eq(events.paymentStatus, status),
						inArray(events.type, [...outcomeTypes]),
					),
				)
				.orderBy(asc(events.seq));
			return rows.map(toEvent);
		},

		async get(seq) {
			const [row] = await db.select().from(events).where(eq(events.seq, seq));
			return row ? toEvent(row) : null;
		},

		async accepted(deliverySeq) {
			const row = await acceptedRow(deliverySeq);
			return row ? acceptedDelivery(row) : null;
		},

		async ofDelivery(deliverySeq) {
			const rows = await db
				.select()
				.from(events)
				.where(sql`${events.seq} = ${deliverySeq} or ${events.deliverySeq} = ${deliverySeq}`)
				.orderBy(asc(events.seq));
			return rows.map(toEvent);
		},

		async byPayment(citybaseId) {
			return withDeliveries(await db.select().from(events).where(eq(events.citybaseId, citybaseId)));
		},

		async byInvoice(invoice) {
			return withDeliveries(await db.select().from(events).where(eq(events.invoice, invoice)));
		},

		async *range(from, to, pageSize = 2000) {
			let next = from;
			while (next <= to) {
				const page = await selectRange.execute({ from: next, to, limit: pageSize });
				for (const row of page) yield toEvent(row);
				if (page.length < pageSize) return;
				next = (page.at(-1) as Row).seq + 1;
			}
		},

		incomplete: (limit = 1000) => pending.oldest(limit),

		lastSeq,

		async counts() {
			const [dead] = await db
				.select({ n: sql<number>`count(distinct ${events.deliverySeq})`.mapWith(Number) })
				.from(events)
				.where(eq(events.type, EventTypes.deadLettered));
			return { events: await lastSeq(), incomplete: (await pending.summary()).pending, deadLettered: dead?.n ?? 0 };
		},
	};
}
