import type { Payment } from "../../src/events/payload.ts";

/**
 * The fuzz run's own oracle for SPEC §4 with the UAT field map (the harness runs as
 * `development`): the exact Knack calls an accepted payment makes. Field ids are
 * restated from the SPEC, not imported, so a wrong id in the field map module fails here.
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

const sb = {
	messages: "object_181",
	transactions: "object_180",
	message: ["field_3365", "field_3372", "field_3369", "field_3367", "field_3378"],
	transaction: ["field_3352", "field_3366"],
	refund: {
		total_amount: "field_3338",
		invoice_id: "field_3333",
		created_date: "field_3320",
		customer_name: "field_3334",
		event_name: "field_3348",
		type: "field_3337",
		lpb: "field_3326",
		ots: "field_3327",
		sub_description: "field_3349",
	},
} as const;
const sm = {
	messages: "object_38",
	transactions: "object_39",
	message: ["field_795", "field_825", "field_799", "field_797", "field_801"],
	transaction: ["field_826", "field_827"],
} as const;
export const parents = {
	OVER_THE_STREET: {
		objectKey: "object_164",
		fields: ["field_2862", "field_2858", "field_3144"],
		approved: "Approved",
	},
	LAMPPOST: { objectKey: "object_161", fields: ["field_2796", "field_2808", "field_2809"], approved: "Approved" },
	BLOCK_PARTY: {
		objectKey: "object_36",
		fields: ["field_704", "field_845", "field_844"],
		approved: "Complete - Permit Issued",
	},
} as const;
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
