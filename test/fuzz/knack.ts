import type { Payment } from "../../src/events/payload.ts";
import { objectKeys, parents, smartMobility, streetBanner } from "../support/specFieldIds.ts";

/**
 * The fuzz run's own oracle for docs/design.md §4 with the UAT field map (the harness
 * runs as `development`): the exact Knack calls an accepted payment makes, from that
 * section's field table as the tests restate it (`test/support/specFieldIds.ts`).
 */

export interface ExpectedCall {
	method: "GET" | "POST" | "PUT";
	app: "STREET_BANNER" | "SMART_MOBILITY";
	objectKey: string;
	recordId: string | null;
	body: Record<string, unknown> | null;
}

/** What the original Street Banner transaction record holds, for a refund to copy. */
export interface RefundSource {
	customerName: string;
	eventName: string;
	type: string;
	subDescription: string;
	/** the connected lamppost reservation, when the transaction has one */
	lpbId: string | null;
	/** the connected over-the-street reservation: its id, an empty connection, or no field at all */
	ots: { id: string } | "empty" | "missing";
}

const sb = { ...objectKeys.STREET_BANNER, ...streetBanner.UAT };
const sm = { ...objectKeys.SMART_MOBILITY, ...smartMobility };

const mapped: Record<string, string> = { successful: "PAID", voided: "VOID", refunded: "REFUND" };

export function expectedCalls(p: Payment, date: string, source: RefundSource | null): ExpectedCall[] {
	const app = p.app;
	const fields = app === "STREET_BANNER" ? sb : sm;
	const [invoice, connected, created, status, citybaseId] = fields.message;
	const calls: ExpectedCall[] = [
		{
			method: "POST",
			app,
			objectKey: fields.messages,
			recordId: null,
			body: {
				[invoice]: p.invoice,
				[connected]: p.invoice,
				[created]: date,
				[status]: p.status,
				[citybaseId]: p.citybaseId,
			},
		},
	];
	const transactionStatus = mapped[p.status];
	if (transactionStatus === undefined) return calls;

	if (p.status === "refunded" && app === "STREET_BANNER") {
		if (!source) throw new Error("a Street Banner refund needs its source record");
		const r = sb.refund;
		calls.push(
			{ method: "GET", app, objectKey: sb.transactions, recordId: p.knackRecordId, body: null },
			{
				method: "POST",
				app,
				objectKey: sb.transactions,
				recordId: null,
				body: {
					[sb.transaction[0]]: "REFUND",
					[r.invoice_id]: p.invoice,
					[r.total_amount]: `-${p.totalAmountText}`,
					[r.created_date]: date,
					[sb.transaction[1]]: date,
					[r.customer_name]: source.customerName,
					[r.event_name]: source.eventName,
					[r.type]: source.type,
					[r.lpb]: source.lpbId,
					[r.ots]: typeof source.ots === "object" ? source.ots.id : null,
					[r.sub_description]: source.subDescription,
				},
			},
		);
		return calls;
	}

	if (p.status === "successful") {
		const kind = app === "SMART_MOBILITY" ? "BLOCK_PARTY" : p.bannerType;
		if (kind) {
			const parent = parents[kind];
			const [applicationStatus, received, paymentDate] = parent.fields;
			calls.push({
				method: "PUT",
				app,
				objectKey: parent.objectKey,
				recordId: p.parentRecordId,
				body: { [applicationStatus]: parent.approved, [received]: true, [paymentDate]: date },
			});
		}
	}
	calls.push({
		method: "PUT",
		app,
		objectKey: fields.transactions,
		recordId: p.knackRecordId,
		body: { [fields.transaction[0]]: transactionStatus, [fields.transaction[1]]: date },
	});
	return calls;
}

/** The stored (raw) transaction record a refund reads, as Knack would hold it. */
export function refundSourceRecord(id: string, source: RefundSource): Record<string, unknown> & { id: string } {
	const r = sb.refund;
	return {
		id,
		[sb.transaction[0]]: "INVOICED",
		[r.customer_name]: source.customerName,
		[r.event_name]: source.eventName,
		[r.type]: source.type,
		[r.sub_description]: source.subDescription,
		...(source.lpbId ? { [r.lpb]: [{ id: source.lpbId, identifier: "486" }] } : {}),
		...(source.ots === "missing"
			? {}
			: { [r.ots]: source.ots === "empty" ? [] : [{ id: source.ots.id, identifier: "7" }] }),
	};
}

export const transactionObject = { STREET_BANNER: sb.transactions, SMART_MOBILITY: sm.transactions } as const;
export const messageObject = { STREET_BANNER: sb.messages, SMART_MOBILITY: sm.messages } as const;
export const invoiceField = {
	[sb.messages]: sb.message[0],
	[sm.messages]: sm.message[0],
	[sb.transactions]: sb.refund.invoice_id,
} as Record<string, string>;

/**
 * Python's `str()` of a JSON number as `json.loads` reads it (what the Flask service
 * wrote into a refund record), worked out independently of the service's version:
 * an integer literal is an exact int, anything with a fraction or exponent a float
 * printed by `repr` (shortest digits; exponent form below 1e-4 and from 1e16).
 */
export function pythonStr(source: string): string {
	if (!/[.eE]/.test(source)) return BigInt(source).toString();
	const x = Number(source);
	if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
	const [mantissa = "", exponentText = "0"] = x.toExponential().split("e");
	const exponent = Number(exponentText);
	const sign = mantissa.startsWith("-") ? "-" : "";
	const digits = mantissa.replace("-", "").replace(".", "");
	if (exponent < -4 || exponent >= 16) {
		const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
		return `${sign}${m}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
	}
	if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
	const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
	return `${sign}${whole}.${digits.slice(exponent + 1) || "0"}`;
}
