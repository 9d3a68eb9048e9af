import { createHash } from "node:crypto";
import { eq, inArray, sql } from "drizzle-orm";
import type { OpenDatabase } from "../events/database.ts";
import type { EventStore } from "../events/store.ts";
import { type AcceptedData, EventTypes, type StoredEvent } from "../events/types.ts";
import { checkpoints, payments } from "./schema.ts";

/**
 * The local read model: payment state per CityBase id, a fold over the event log.
 * `catchUp` folds what is new since its checkpoint; `rebuild` drops it and folds the
 * whole log again, page by page, so memory stays flat as the log grows.
 */
export type PaymentRow = typeof payments.$inferSelect;

const CHECKPOINT = "payments";

/**
 * The pure fold: one event applied to one payment's row. Idempotent: an event the row
 * already holds leaves it as it is. `lastDeliverySeq` tells which: a delivery at or
 * before it has been counted, and an outcome logged before it was folded before that
 * delivery was. Folded in log order neither case occurs, so the row (and `rebuild`'s
 * checksum) is what it was without the check.
 */
export function foldPayment(row: PaymentRow | undefined, event: StoredEvent): PaymentRow | undefined {
	if (
		row &&
		(event.type === EventTypes.accepted ? (event.deliverySeq ?? event.seq) : event.seq) <= row.lastDeliverySeq
	) {
		return row;
	}
	if (event.type === EventTypes.accepted) {
		const { payment } = event.data as AcceptedData;
		return {
			citybaseId: payment.citybaseId,
			app: payment.app,
			invoice: payment.invoice,
			latestStatus: payment.status,
			totalAmount: payment.totalAmountText,
			knackRecordId: payment.knackRecordId,
			parentRecordId: payment.parentRecordId ?? row?.parentRecordId ?? null,
			knackRecords: row?.knackRecords ?? {},
			deliveries: (row?.deliveries ?? 0) + 1,
			lastDeliverySeq: event.deliverySeq ?? event.seq,
			updatedAt: event.recordedAt,
		};
	}
	if (event.type === EventTypes.effectSucceeded && row && event.effectKey) {
		const recordId = (event.data as { recordId: string | null }).recordId;
		return { ...row, knackRecords: { ...row.knackRecords, [event.effectKey]: recordId }, updatedAt: event.recordedAt };
	}
	return row;
}

export interface PaymentsReadModel {
	catchUp(): { folded: number };
	rebuild(): { folded: number; checksum: string };
	checksum(): string;
	get(citybaseId: number): PaymentRow | undefined;
}

export function createPaymentsReadModel(
	{ db, sqlite }: OpenDatabase,
	store: EventStore,
	pageSize = 5000,
): PaymentsReadModel {
	const column = (name: string) => sql.raw(`excluded.${name}`);
	const upsert = db
		.insert(payments)
		.values({
			citybaseId: sql.placeholder("citybaseId"),
			app: sql.placeholder("app"),
			invoice: sql.placeholder("invoice"),
			latestStatus: sql.placeholder("latestStatus"),
			totalAmount: sql.placeholder("totalAmount"),
			knackRecordId: sql.placeholder("knackRecordId"),
			parentRecordId: sql.placeholder("parentRecordId"),
			knackRecords: sql.placeholder("knackRecords"),
			deliveries: sql.placeholder("deliveries"),
			lastDeliverySeq: sql.placeholder("lastDeliverySeq"),
			updatedAt: sql.placeholder("updatedAt"),
		})
		.onConflictDoUpdate({
			target: payments.citybaseId,
			set: {
				app: column("app"),
				invoice: column("invoice"),
				latestStatus: column("latest_status"),
				totalAmount: column("total_amount"),
				knackRecordId: column("knack_record_id"),
				parentRecordId: column("parent_record_id"),
				knackRecords: column("knack_records"),
				deliveries: column("deliveries"),
				lastDeliverySeq: column("last_delivery_seq"),
				updatedAt: column("updated_at"),
			},
		})
		.prepare();
	const selectPayment = db
		.select()
		.from(payments)
		.where(eq(payments.citybaseId, sql.placeholder("id")))
		.prepare();
	const position = () => db.select().from(checkpoints).where(eq(checkpoints.name, CHECKPOINT)).get()?.position ?? 0;

	/**
	 * Folds one page per transaction. The checkpoint is read inside the (immediate)
	 * transaction, so two processes catching up at once never fold an event twice.
	 */
	function catchUp() {
		let folded = 0;
		for (;;) {
			const count = db.transaction(
				(tx) => {
					const page: StoredEvent[] = [];
					for (const event of store.range(position() + 1, Number.MAX_SAFE_INTEGER, pageSize)) {
						page.push(event);
						if (page.length === pageSize) break;
					}
					if (page.length === 0) return 0;
					const ids = [...new Set(page.map((e) => e.citybaseId).filter((id): id is number => id !== null))];
					const rows = new Map<number, PaymentRow>();
					if (ids.length > 0) {
						for (const row of tx.select().from(payments).where(inArray(payments.citybaseId, ids)).all()) {
							rows.set(row.citybaseId, row);
						}
					}
					for (const event of page) {
						if (event.citybaseId === null) continue;
						const next = foldPayment(rows.get(event.citybaseId), event);
						if (next) rows.set(event.citybaseId, next);
					}
					for (const row of rows.values()) upsert.run(row);
					const last = (page.at(-1) as StoredEvent).seq;
					tx.insert(checkpoints)
						.values({ name: CHECKPOINT, position: last })
						.onConflictDoUpdate({ target: checkpoints.name, set: { position: last } })
						.run();
					return page.length;
				},
				{ behavior: "immediate" },
			);
			if (count === 0) return { folded };
			folded += count;
		}
	}

	function checksum(): string {
		const hash = createHash("sha256");
		for (const row of sqlite.query("select * from payments order by citybase_id").iterate()) {
			hash.update(`${stableJson(row)}\n`);
		}
		return hash.digest("hex");
	}

	return {
		catchUp,
		rebuild() {
			db.transaction((tx) => {
				tx.delete(payments).run();
				tx.delete(checkpoints).where(eq(checkpoints.name, CHECKPOINT)).run();
			});
			const { folded } = catchUp();
			return { folded, checksum: checksum() };
		},
		checksum,
		get(citybaseId) {
			return selectPayment.get({ id: citybaseId });
		},
	};
}

/** JSON with keys sorted at every level, so equal rows always hash the same. */
function stableJson(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
	if (value && typeof value === "object") {
		const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
	}
	return JSON.stringify(value) ?? "null";
}
