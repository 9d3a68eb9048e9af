import { createHash } from "node:crypto";
import { EventTypes, type StoredEvent } from "../events/types.ts";
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
		const { payment } = event.data;
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
		const { recordId } = event.data;
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
	/** `between` runs after each page: of events folded ("fold"), then of rows hashed ("checksum"). */
	rebuild(between?: (phase: RebuildPhase) => void): Promise<{ folded: number; checksum: string }>;
	checksum(): Promise<string>;
	get(citybaseId: number): Promise<PaymentRow | null>;
}

export type RebuildPhase = "fold" | "checksum";

export function createPaymentsReadModel(store: ReadModelStore, pageSize = 5000): PaymentsReadModel {
	const foldInto = (page: StoredEvent[], rows: Map<number, PaymentRow>) => {
		for (const event of page) {
			if (event.citybaseId === null) continue;
			const next = foldPayment(rows.get(event.citybaseId), event);
			if (next) rows.set(event.citybaseId, next);
		}
	};

	async function catchUp(between?: (phase: RebuildPhase) => void) {
		let folded = 0;
		for (;;) {
			const count = await store.foldPage(pageSize, foldInto);
			if (count === 0) return { folded };
			folded += count;
			between?.("fold");
		}
	}

	async function checksum(between?: (phase: RebuildPhase) => void): Promise<string> {
		const hash = createHash("sha256");
		// Hashed in large chunks, not a row at a time: the digest of the same bytes is the same.
		let chunk = "";
		let rows = 0;
		for await (const row of store.rows()) {
			chunk += canonicalLine(row);
			if (chunk.length >= 65_536) {
				hash.update(chunk);
				chunk = "";
			}
			if (++rows % pageSize === 0) between?.("checksum");
		}
		return hash.update(chunk).digest("hex");
	}

	return {
		catchUp: () => catchUp(),
		async rebuild(between) {
			await store.reset();
			const { folded } = await catchUp(between);
			return { folded, checksum: await checksum(between) };
		},
		checksum: () => checksum(),
		get: (citybaseId) => store.get(citybaseId),
	};
}

/**
 * The row as the checksum has always hashed it: the SQLite table's columns as a JSON
 * object with its keys sorted, the Knack records as their JSON text, one line per row,
 * so a checksum means the same whichever store holds it. Written out key by key, in
 * that sorted order: a rebuild hashes every payment, and sorting each row's keys cost
 * more than the rest of the checksum.
 */
function canonicalLine(row: PaymentRow): string {
	return (
		`{"app":${json(row.app)},"citybase_id":${json(row.citybaseId)},"deliveries":${json(row.deliveries)},` +
		`"invoice":${json(row.invoice)},"knack_record_id":${json(row.knackRecordId)},` +
		`"knack_records":${json(JSON.stringify(row.knackRecords))},"last_delivery_seq":${json(row.lastDeliverySeq)},` +
		`"latest_status":${json(row.latestStatus)},"parent_record_id":${json(row.parentRecordId)},` +
		`"total_amount":${json(row.totalAmount)},"updated_at":${json(row.updatedAt)}}\n`
	);
}

const json = (value: unknown): string => JSON.stringify(value) ?? "null";
