import type { KnackAppName, Payment } from "../../events/payload.ts";
import type { EffectKind } from "../../events/types.ts";
import { knackDate } from "./date.ts";
import {
	approvedStatus,
	type FieldMapName,
	fieldMaps,
	objects,
	type ParentKind,
	type RefundFields,
	transactionStatus,
} from "./fieldMaps.ts";

/**
 * What happens to a payment in Knack (docs/design.md §1, §4), decided from data alone:
 * given an accepted payment and when its delivery was recorded, the ordered list of
 * Knack writes it needs. No I/O; `run.ts` performs them.
 *
 *   any status      → insert a message record
 *   refunded (SB)   → read the original transaction, insert a refund record from it
 *   successful      → update the reservation (parent), then the transaction
 *   voided, refunded (SM) → update the transaction
 *   anything else   → nothing more
 */

export interface FilterRule {
	field: string;
	operator: "is";
	value: string | number;
}

export interface PlannedEffect {
	/** the logical key (payment id, status, kind): one successful write per key, ever */
	key: string;
	kind: EffectKind;
	app: KnackAppName;
	method: "POST" | "PUT";
	objectKey: string;
	/** the record a PUT updates */
	recordId: string | null;
	/** null for a refund until its source record has been read (see `refundBody`) */
	body: Record<string, unknown> | null;
	/** a refund copies fields from the original transaction record, read first */
	source: { objectKey: string; recordId: string } | null;
	/** an insert's Knack filter that finds the record if an earlier attempt created it */
	lookup: FilterRule[] | null;
}

export interface Plan {
	effects: PlannedEffect[];
	/** true when the status is one the transaction knows (successful, voided, refunded) */
	knownStatus: boolean;
	warnings: string[];
}

export interface PlanContext {
	fieldMap: FieldMapName;
	/** when the delivery was recorded (ms since the epoch) */
	recordedAt: number;
}

export function effectKey(payment: Pick<Payment, "citybaseId" | "status">, kind: EffectKind): string {
	return `${payment.citybaseId}:${payment.status}:${kind}`;
}

export function planPostback(payment: Payment, context: PlanContext): Plan {
	const fields = fieldMaps[context.fieldMap][payment.app];
	const keys = objects[payment.app];
	const date = knackDate(context.recordedAt);
	const effect = (e: Omit<PlannedEffect, "key" | "app">): PlannedEffect => ({
		key: effectKey(payment, e.kind),
		app: payment.app,
		...e,
	});
	const warnings: string[] = [];

	const m = fields.messages;
	const effects: PlannedEffect[] = [
		effect({
			kind: "message",
			method: "POST",
			objectKey: keys.messages,
			recordId: null,
			body: {
				[m.invoice_id]: payment.invoice,
				[m.connected_invoice]: payment.invoice,
				[m.created_date]: date,
				[m.status]: payment.status,
				[m.citybase_id]: payment.citybaseId,
			},
			source: null,
			lookup: [
				{ field: m.citybase_id, operator: "is", value: payment.citybaseId },
				{ field: m.status, operator: "is", value: payment.status },
			],
		}),
	];

	const mapped = transactionStatus[payment.status];
	if (mapped === undefined) return { effects, knownStatus: false, warnings };

	const refund = fields.refund;
	if (payment.status === "refunded" && refund) {
		effects.push(
			effect({
				kind: "refund",
				method: "POST",
				objectKey: keys.transactions,
				recordId: null,
				body: null,
				source: { objectKey: keys.transactions, recordId: payment.knackRecordId },
				lookup: [
					{ field: refund.invoice_id, operator: "is", value: payment.invoice },
					{ field: fields.transactions.transaction_status, operator: "is", value: mapped },
					{ field: refund.total_amount, operator: "is", value: `-${payment.totalAmountText}` },
				],
			}),
		);
		return { effects, knownStatus: true, warnings };
	}

	if (payment.status === "successful") {
		const parent = parentOf(payment);
		const parentFields = parent && fields.parents[parent];
		const parentObject = parent && (keys.parents as Partial<Record<ParentKind, string>>)[parent];
		if (parent && parentFields && parentObject) {
			effects.push(
				effect({
					kind: "parent",
					method: "PUT",
					objectKey: parentObject,
					recordId: payment.parentRecordId,
					body: {
						[parentFields.application_status]: approvedStatus[parent],
						[parentFields.payment_received]: true,
						[parentFields.payment_date]: date,
					},
					source: null,
					lookup: null,
				}),
			);
		} else {
			warnings.push("no banner_type on a successful Street Banner payment: the reservation was not updated");
		}
	}

	const t = fields.transactions;
	effects.push(
		effect({
			kind: "transaction",
			method: "PUT",
			objectKey: keys.transactions,
			recordId: payment.knackRecordId,
			body: { [t.transaction_status]: mapped, [t.transaction_paid_date]: date },
			source: null,
			lookup: null,
		}),
	);
	return { effects, knownStatus: true, warnings };
}

function parentOf(payment: Payment): ParentKind | null {
	if (payment.app === "SMART_MOBILITY") return "BLOCK_PARTY";
	return payment.bannerType;
}

/** A Knack record as a GET answers it: `field_N` formatted, `field_N_raw` raw. */
export type KnackRecord = Record<string, unknown> & { id?: string };

/**
 * What a refund record copies from the original transaction record, in the order its
 * body lists them: a formatted value (`field_N`), or a connection, written as the
 * connected record's id (`field_N_raw[0].id`), Knack's way of writing a connection
 * (the Flask service wrote the display identifier). The plan and the dry run both read
 * this list, so a field added here is copied and shown alike.
 */
const refundCopies = [
	{ field: "customer_name", copy: "value" },
	{ field: "event_name", copy: "value" },
	{ field: "type", copy: "value" },
	{ field: "banner_reservations_lpb", copy: "connection" },
	{ field: "banner_reservations_ots", copy: "connection" },
	{ field: "sub_description", copy: "value" },
] as const satisfies readonly { field: keyof RefundFields; copy: CopyKind }[];

export type CopyKind = "value" | "connection";

/** Reads one copied field (`field_N`) of the refund's source record. */
export type RefundSource = (field: string, copy: CopyKind) => unknown;

/** The source as Knack answered its GET; a missing value or an empty connection is copied as null. */
export function recordSource(record: KnackRecord): RefundSource {
	return (field, copy) => {
		if (copy === "value") return record[field] ?? null;
		const raw = record[`${field}_raw`];
		const first = Array.isArray(raw) ? (raw[0] as { id?: unknown } | undefined) : undefined;
		return typeof first?.id === "string" ? first.id : null;
	};
}

/** The refund record's body (docs/design.md §4, "Refund record"), its copied fields read from `source`. */
export function refundBody(payment: Payment, context: PlanContext, source: RefundSource): Record<string, unknown> {
	const fields = fieldMaps[context.fieldMap][payment.app];
	const refund = fields.refund;
	if (!refund) throw new Error(`${payment.app} has no refund records`);
	const date = knackDate(context.recordedAt);
	const body: Record<string, unknown> = {
		[fields.transactions.transaction_status]: transactionStatus.refunded,
		[refund.invoice_id]: payment.invoice,
		[refund.total_amount]: `-${payment.totalAmountText}`,
		[refund.created_date]: date,
		[fields.transactions.transaction_paid_date]: date,
	};
	for (const { field, copy } of refundCopies) body[refund[field]] = source(refund[field], copy);
	return body;
}
