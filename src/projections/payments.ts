import { createHash } from "node:crypto";
import { EventTypes, type StoredEvent } from "../events/types.ts";
import type { ReadModelStore } from "../storage/storage.ts";
import type { LastError, OpenDelivery, PaymentRow, Trouble } from "./paymentRow.ts";

/**
 * The pure fold: one event applied to one payment's row, what the Stuck page reads of it
 * included (its deliveries not finished in Knack, and the last error while one is open).
 * Idempotent: an event the row already holds leaves it as it is. `lastDeliverySeq` tells which: a delivery at or
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
		const deliverySeq = event.deliverySeq ?? event.seq;
		const open = [
			...(row?.open ?? []),
			{ seq: deliverySeq, receivedAt: event.recordedAt, status: payment.status, deadLettered: false },
		];
		return withOpen(
			{
				citybaseId: payment.citybaseId,
				app: payment.app,
				invoice: payment.invoice,
				latestStatus: payment.status,
				totalAmount: payment.totalAmountText,
				knackRecordId: payment.knackRecordId,
				parentRecordId: payment.parentRecordId ?? row?.parentRecordId ?? null,
				knackRecords: row?.knackRecords ?? {},
				deliveries: (row?.deliveries ?? 0) + 1,
				lastDeliverySeq: deliverySeq,
				updatedAt: event.recordedAt,
				receivedAt: event.recordedAt,
				open: [],
				stuckSince: null,
				stuckStatus: null,
				trouble: null,
				lastError: row?.open.length ? row.lastError : null,
			},
			open,
		);
	}
	if (!row) return row;
	if (event.type === EventTypes.effectSucceeded && event.effectKey) {
		const { recordId } = event.data;
		return { ...row, knackRecords: { ...row.knackRecords, [event.effectKey]: recordId }, updatedAt: event.recordedAt };
	}
	if (event.type === EventTypes.effectFailed && row.open.length > 0) {
		return withOpen({ ...row, lastError: lastErrorOf(event) }, row.open);
	}
	const of = row.open.findIndex((d) => d.seq === event.deliverySeq);
	if (of === -1) return row;
	if (event.type === EventTypes.applied) return withOpen(row, row.open.toSpliced(of, 1));
	if (event.type === EventTypes.deadLettered) {
		return withOpen(row, row.open.with(of, { ...(row.open[of] as OpenDelivery), deadLettered: true }));
	}
	return row;
}

/** The row with these deliveries open, and what the Stuck page reads of them; nothing open forgets the last error. */
function withOpen(row: PaymentRow, open: OpenDelivery[]): PaymentRow {
	const oldest = open[0];
	if (!oldest) return { ...row, open, stuckSince: null, stuckStatus: null, trouble: null, lastError: null };
	return {
		...row,
		open,
		stuckSince: oldest.receivedAt,
		stuckStatus: oldest.status,
		trouble: open.some((d) => d.deadLettered) ? "dead-lettered" : troubleOf(row.lastError),
	};
}

/** What Knack's last answer says of why the payment is stuck (see `Trouble`). */
export function troubleOf(error: LastError | null): Trouble {
	if (!error) return "none";
	const status = error.knackStatus;
	if (status === 429) return "quota";
	if (status !== null && status >= 400 && status < 500) return "knack-4xx";
	return "knack-5xx";
}

function lastErrorOf({ recordedAt, paymentStatus, data }: StoredEvent<typeof EventTypes.effectFailed>): LastError {
	return {
		at: recordedAt,
		status: paymentStatus ?? "",
		kind: data.kind,
		method: data.method,
		objectKey: data.objectKey,
		recordId: data.recordId,
		knackStatus: data.knackStatus,
		// The whole text is in the log; the Stuck page shows the start of it.
		error: data.error.slice(0, 300),
	};
}

/**
 * The local read model: payment state per CityBase id, a fold over the event log.
 * `catchUp` folds what is new since its checkpoint; `rebuild` drops it and folds the
 * whole log again, page by page, so memory stays flat as the log grows.
 */
export interface PaymentsReadModel {
	/** `maxPages`: folds at most that many pages, for a reader that wants it fresh but will not wait for a long catch-up */
	catchUp(maxPages?: number): Promise<{ folded: number }>;
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

	async function catchUp(between?: (phase: RebuildPhase) => void, maxPages = Number.POSITIVE_INFINITY) {
		let folded = 0;
		for (let pages = 0; pages < maxPages; pages++) {
			const count = await store.foldPage(pageSize, foldInto);
			if (count === 0) return { folded };
			folded += count;
			between?.("fold");
		}
		return { folded };
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
		catchUp: (maxPages) => catchUp(undefined, maxPages),
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
		`"last_error":${json(row.lastError && JSON.stringify(row.lastError))},` +
		`"latest_status":${json(row.latestStatus)},"open_deliveries":${json(JSON.stringify(row.open))},` +
		`"parent_record_id":${json(row.parentRecordId)},"received_at":${json(row.receivedAt)},` +
		`"stuck_since":${json(row.stuckSince)},"stuck_status":${json(row.stuckStatus)},` +
		`"total_amount":${json(row.totalAmount)},"trouble":${json(row.trouble)},"updated_at":${json(row.updatedAt)}}\n`
	);
}

const json = (value: unknown): string => JSON.stringify(value) ?? "null";
