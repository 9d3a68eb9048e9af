import { knackDate } from "../../src/projections/knack/date.ts";
import { approvedStatus, objects, transactionStatus } from "../../src/projections/knack/fieldMaps.ts";
import type { FormattedRecord } from "../../src/sandbox/knack.ts";
import { fields, INVOICED, PENDING, parentFields, parentObject, refundSource, type SandboxControl } from "./sandbox.ts";
import type { App, Payment } from "./scenario.ts";

/**
 * The end state a run must leave in Knack, from the payments alone: one message per
 * (payment, status), one refund record per Street Banner refund, every transaction and
 * reservation as its last status leaves it. Counts what was found and names every
 * payment that differs.
 */
export interface Tally {
	expected: number;
	ok: number;
	duplicated: number;
	missing: number;
	wrong: number;
}

export interface CheckResult {
	messages: Tally;
	refunds: Tally;
	transactions: Tally;
	reservations: Tally;
	/** records written that no payment explains */
	strays: number;
	problems: string[];
}

const tally = (): Tally => ({ expected: 0, ok: 0, duplicated: 0, missing: 0, wrong: 0 });

/** Every date a delivery recorded between `from` and `to` can carry, in Knack's format. */
export function datesBetween(from: number, to: number): Set<string> {
	const dates = new Set<string>();
	for (let t = from - 60_000; t <= to + 60_000; t += 30_000) dates.add(knackDate(t));
	return dates;
}

interface Snapshot {
	messages: Record<App, FormattedRecord[]>;
	transactions: Record<App, FormattedRecord[]>;
	parents: Map<string, FormattedRecord[]>;
}

async function snapshot(control: SandboxControl, payments: Payment[]): Promise<Snapshot> {
	const parentKeys = [...new Set(payments.map((p) => `${p.case.app}/${parentObject(p)}`))];
	const parents = new Map<string, FormattedRecord[]>();
	for (const key of parentKeys) {
		const [app, objectKey] = key.split("/") as [App, string];
		parents.set(key, await control.records(app, objectKey));
	}
	return {
		messages: {
			STREET_BANNER: await control.records("STREET_BANNER", objects.STREET_BANNER.messages),
			SMART_MOBILITY: await control.records("SMART_MOBILITY", objects.SMART_MOBILITY.messages),
		},
		transactions: {
			STREET_BANNER: await control.records("STREET_BANNER", objects.STREET_BANNER.transactions),
			SMART_MOBILITY: await control.records("SMART_MOBILITY", objects.SMART_MOBILITY.transactions),
		},
		parents,
	};
}

/** The ids of every message and transaction record, taken before any delivery: what the run did not write. */
export async function existingRecordIds(control: SandboxControl): Promise<Set<string>> {
	const ids = new Set<string>();
	for (const app of ["STREET_BANNER", "SMART_MOBILITY"] as const) {
		for (const objectKey of [objects[app].messages, objects[app].transactions]) {
			for (const r of await control.records(app, objectKey)) ids.add(r.id);
		}
	}
	return ids;
}

export async function checkSandbox(
	control: SandboxControl,
	payments: Payment[],
	dates: Set<string>,
	before: Set<string>,
): Promise<CheckResult> {
	const s = await snapshot(control, payments);
	const result: CheckResult = {
		messages: tally(),
		refunds: tally(),
		transactions: tally(),
		reservations: tally(),
		strays: 0,
		problems: [],
	};
	const problem = (p: Payment, what: string) => result.problems.push(`payment ${p.id} (${p.case.name}): ${what}`);
	const explained = new Set(before);
	for (const p of payments) {
		const messages = s.messages[p.case.app];
		for (const m of checkMessages(p, messages, result.messages, dates, explained)) problem(p, m);
		for (const m of checkRefund(p, s.transactions.STREET_BANNER, result.refunds, dates, explained)) problem(p, m);
		for (const m of checkTransaction(p, s.transactions[p.case.app], result.transactions, dates)) problem(p, m);
		const parents = s.parents.get(`${p.case.app}/${parentObject(p)}`) ?? [];
		for (const m of checkReservation(p, parents, result.reservations, dates)) problem(p, m);
	}
	const written = [...Object.values(s.messages), ...Object.values(s.transactions)].flat();
	result.strays = written.filter((r) => !explained.has(r.id)).length;
	return result;
}

/** Counts a checked record as right or wrong. */
function verdict(t: Tally, label: string, wrong: string[]): string[] {
	if (wrong.length === 0) {
		t.ok++;
		return [];
	}
	t.wrong++;
	return [`${label}: ${wrong.join(", ")}`];
}

function checkMessages(
	p: Payment,
	all: FormattedRecord[],
	t: Tally,
	dates: Set<string>,
	explained: Set<string>,
): string[] {
	const m = fields[p.case.app].messages;
	const problems: string[] = [];
	for (const status of p.case.statuses) {
		t.expected++;
		// Knack may hand a number field back as a number or as text.
		const found = all.filter(
			(r) => String(r[`${m.citybase_id}_raw`]) === String(p.id) && r[`${m.status}_raw`] === status,
		);
		for (const r of found) explained.add(r.id);
		if (found.length === 0) {
			t.missing++;
			problems.push(`no ${status} message`);
			continue;
		}
		if (found.length > 1) {
			t.duplicated++;
			problems.push(`${found.length} ${status} messages`);
			continue;
		}
		const wrong = differences(found[0] as FormattedRecord, {
			[m.invoice_id]: p.invoice,
			[m.connected_invoice]: p.invoice,
		});
		if (!dates.has(String(found[0]?.[`${m.created_date}_raw`]))) wrong.push(`${m.created_date} is not a run date`);
		problems.push(...verdict(t, `${status} message`, wrong));
	}
	return problems;
}

function checkRefund(
	p: Payment,
	transactions: FormattedRecord[],
	t: Tally,
	dates: Set<string>,
	explained: Set<string>,
): string[] {
	const refund = fields.STREET_BANNER.refund;
	if (!refund) return [];
	const found = transactions.filter((r) => r[`${refund.invoice_id}_raw`] === p.invoice);
	for (const r of found) explained.add(r.id);
	const expected = p.case.app === "STREET_BANNER" && p.case.statuses.includes("refunded") ? 1 : 0;
	if (expected === 0) return found.length === 0 ? [] : [`${found.length} refund records, expected none`];
	t.expected++;
	if (found.length === 0) {
		t.missing++;
		return ["no refund record"];
	}
	if (found.length > 1) {
		t.duplicated++;
		return [`${found.length} refund records`];
	}
	const r = found[0] as FormattedRecord;
	const source = refundSource(p);
	const wrong = differences(r, {
		[fields.STREET_BANNER.transactions.transaction_status]: transactionStatus.refunded,
		[refund.total_amount]: p.refundAmount,
		[refund.customer_name]: source[refund.customer_name],
		[refund.event_name]: source[refund.event_name],
		[refund.type]: source[refund.type],
		[refund.sub_description]: source[refund.sub_description],
	});
	for (const field of [refund.banner_reservations_lpb, refund.banner_reservations_ots]) {
		const expectedIds = (source[field] as { id: string }[]).map((c) => c.id);
		const ids = connectedIds(r[`${field}_raw`]);
		if (ids.join() !== expectedIds.join()) wrong.push(`${field} connects [${ids}], expected [${expectedIds}]`);
	}
	for (const field of [refund.created_date, fields.STREET_BANNER.transactions.transaction_paid_date]) {
		if (!dates.has(String(r[`${field}_raw`]))) wrong.push(`${field} is not a run date`);
	}
	return verdict(t, "refund record", wrong);
}

/** A connection written as an id, a list of ids, or Knack's `[{id, identifier}]`. */
function connectedIds(raw: unknown): string[] {
	if (raw === null || raw === undefined || raw === "") return [];
	const list = Array.isArray(raw) ? raw : [raw];
	return list.map((item) =>
		typeof item === "object" && item !== null ? String((item as { id: unknown }).id) : String(item),
	);
}

/** The transaction status the payment's statuses leave, in delivery order. */
export function finalTransactionStatus(p: Payment): string {
	let status = INVOICED;
	for (const s of p.case.statuses) {
		const mapped = transactionStatus[s];
		// A Street Banner refund is a new record; the original transaction keeps its status.
		if (mapped && !(s === "refunded" && p.case.app === "STREET_BANNER")) status = mapped;
	}
	return status;
}

function checkTransaction(p: Payment, all: FormattedRecord[], t: Tally, dates: Set<string>): string[] {
	t.expected++;
	const fieldsOf = fields[p.case.app].transactions;
	const r = all.find((x) => x.id === p.transactionId);
	if (!r) {
		t.missing++;
		return ["transaction record is gone"];
	}
	const status = finalTransactionStatus(p);
	const wrong = differences(r, { [fieldsOf.transaction_status]: status });
	const paidDate = String(r[`${fieldsOf.transaction_paid_date}_raw`]);
	if (status === INVOICED ? paidDate !== "" : !dates.has(paidDate)) wrong.push(`paid date ${JSON.stringify(paidDate)}`);
	return verdict(t, "transaction", wrong);
}

function checkReservation(p: Payment, all: FormattedRecord[], t: Tally, dates: Set<string>): string[] {
	t.expected++;
	const f = parentFields(p);
	const r = all.find((x) => x.id === p.parentId);
	if (!r) {
		t.missing++;
		return ["reservation record is gone"];
	}
	// A Street Banner payment without banner_type names no reservation kind to update.
	const approved =
		p.case.statuses.includes("successful") && (p.case.app === "SMART_MOBILITY" || p.case.bannerType !== null);
	const wrong = differences(r, {
		[f.application_status]: approved ? approvedStatus[p.parent] : PENDING,
		[f.payment_received]: approved,
	});
	const date = String(r[`${f.payment_date}_raw`]);
	if (approved ? !dates.has(date) : date !== "") wrong.push(`payment date ${JSON.stringify(date)}`);
	return verdict(t, "reservation", wrong);
}

function differences(r: FormattedRecord, expected: Record<string, unknown>): string[] {
	return Object.entries(expected)
		.filter(([field, value]) => r[`${field}_raw`] !== value)
		.map(([field, value]) => `${field} is ${JSON.stringify(r[`${field}_raw`])}, expected ${JSON.stringify(value)}`);
}
