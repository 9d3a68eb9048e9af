import { createHash } from "node:crypto";
import { type AcceptedData, EventTypes, type StoredEvent } from "../events/types.ts";
import type { ReadModelStore } from "../storage/storage.ts";
import type { PaymentRow } from "./paymentRow.ts";

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

/**
 * The local read model: payment state per CityBase id, a fold over the event log.
 * `catchUp` folds what is new since its checkpoint; `rebuild` drops it and folds the
 * whole log again, page by page, so memory stays flat as the log grows.
 */
export interface PaymentsReadModel {
	catchUp(): Promise<{ folded: number }>;
	rebuild(): Promise<{ folded: number; checksum: string }>;
	checksum(): Promise<string>;
	get(citybaseId: number): Promise<PaymentRow | null>;
}

export function createPaymentsReadModel(store: ReadModelStore, pageSize = 5000): PaymentsReadModel {
	const foldInto = (page: StoredEvent[], rows: Map<number, PaymentRow>) => {
		for (const event of page) {
			if (event.citybaseId === null) continue;
			const next = foldPayment(rows.get(event.citybaseId), event);
			if (next) rows.set(event.citybaseId, next);
		}
	};

	async function catchUp() {
		let folded = 0;
		for (;;) {
			const count = await store.foldPage(pageSize, foldInto);
			if (count === 0) return { folded };
			folded += count;
		}
	}

	async function checksum(): Promise<string> {
		const hash = createHash("sha256");
		for await (const row of store.rows()) hash.update(`${stableJson(canonicalRow(row))}\n`);
		return hash.digest("hex");
	}

	return {
		catchUp,
		async rebuild() {
			await store.reset();
			const { folded } = await catchUp();
			return { folded, checksum: await checksum() };
		},
		checksum,
		get: (citybaseId) => store.get(citybaseId),
	};
}

/**
 * The row as the checksum has always hashed it (the SQLite table's columns, the Knack
 * records as their JSON text), so a checksum means the same whichever store holds it.
 */
function canonicalRow(row: PaymentRow): Record<string, unknown> {
	return {
		citybase_id: row.citybaseId,
		app: row.app,
		invoice: row.invoice,
		latest_status: row.latestStatus,
		total_amount: row.totalAmount,
		knack_record_id: row.knackRecordId,
		parent_record_id: row.parentRecordId,
		knack_records: JSON.stringify(row.knackRecords),
		deliveries: row.deliveries,
		last_delivery_seq: row.lastDeliverySeq,
		updated_at: row.updatedAt,
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
