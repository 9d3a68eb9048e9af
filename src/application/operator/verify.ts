import type { KnackAppName } from "../../events/payload.ts";
import { EventTypes, type StoredEvent } from "../../events/types.ts";
import type { KnackClient } from "../../projections/knack/client.ts";
import type { FieldMapName } from "../../projections/knack/fieldMaps.ts";
import type { KnackRecord } from "../../projections/knack/plan.ts";
import { planPostback } from "../../projections/knack/plan.ts";
import { recordAction } from "./audit.ts";
import { compareField } from "./compare.ts";
import type { OperatorDeps } from "./deps.ts";
import { type PlannedCall, plannedCalls } from "./dryRun.ts";
import { type DeliveryState, statusHistories } from "./history.ts";
import { createReplayer } from "./replayer.ts";
import { truncate } from "./text.ts";

/**
 * Verify: read back from Knack the transaction and reservation records the log says
 * were updated, and list every field that no longer holds what was written last.
 * `fixDisagreements` re-applies (forced) the deliveries whose writes were undone.
 */
export type VerifyScope = { payment: number } | { invoice: string } | { since: number } | { all: true };

export class VerifyScopeError extends Error {}

export interface Writer {
	citybaseId: number;
	status: string;
	delivery: DeliveryState;
	deliverySeq: number;
}

export interface RecordExpectation {
	app: KnackAppName;
	invoice: string;
	kind: "transaction" | "parent";
	objectKey: string;
	recordId: string;
	/** field → the last value the log says was written, and which delivery wrote it */
	fields: Map<string, { value: unknown; writer: Writer }>;
}

export interface Disagreement {
	record: RecordExpectation;
	field: string;
	expected: unknown;
	actual: string;
	writer: Writer;
}

export interface Verification {
	invoices: number;
	records: number;
	disagreements: Disagreement[];
	/** records that could not be read, each described */
	unreadable: string[];
	/** how many calls the check cost: records are read a page of 1,000 at a time where that is cheaper */
	knackCalls: number;
	interrupted: boolean;
	/** the daily quota (down to its reserve) stopped the reading: retry after `resetAt` */
	quota: { text: string; resetAt: number | null } | null;
}

export async function invoicesToVerify(deps: Pick<OperatorDeps, "storage">, scope: VerifyScope): Promise<string[]> {
	const { events } = deps.storage;
	if ("invoice" in scope) return [scope.invoice];
	if ("payment" in scope) {
		const found = (await events.byPayment(scope.payment)).flatMap((e) => (e.invoice === null ? [] : [e.invoice]));
		if (found.length === 0) throw new VerifyScopeError(`no payment ${scope.payment} in the log`);
		return [...new Set(found)];
	}
	const from = "since" in scope ? scope.since : Number.NEGATIVE_INFINITY;
	const invoices = new Set<string>();
	for await (const e of events.range(1, await events.lastSeq())) {
		if (e.type === EventTypes.accepted && e.invoice !== null && e.recordedAt >= from) invoices.add(e.invoice);
	}
	return [...invoices];
}

export async function verifyInvoices(
	deps: OperatorDeps,
	invoices: string[],
	{ signal, onInvoice }: { signal?: AbortSignal; onInvoice?(): void } = {},
): Promise<Verification> {
	const result: Verification = {
		invoices: invoices.length,
		records: 0,
		disagreements: [],
		unreadable: [],
		knackCalls: 0,
		interrupted: false,
		quota: null,
	};
	const expected: RecordExpectation[] = [];
	for (const invoice of invoices) {
		expected.push(...expectations(await deps.storage.events.byInvoice(invoice), deps.fieldMap));
		onInvoice?.();
	}
	result.records = expected.length;
	const read = await readRecords(deps.knack(), expected, signal);
	result.knackCalls = read.calls;
	result.quota = read.quota;
	result.interrupted = read.interrupted;
	for (const record of expected) {
		const found = read.records.get(recordKey(record));
		if (found === undefined) continue;
		const checked = compareRecord(record, found);
		if (typeof checked === "string") result.unreadable.push(checked);
		else result.disagreements.push(...checked);
	}
	return result;
}

/** A record as read back: its fields, or not found, or why it could not be read. */
type ReadBack = { ok: true; record: KnackRecord } | { ok: false; status: number | null; text: string };

const recordKey = (r: Pick<RecordExpectation, "app" | "objectKey" | "recordId">) =>
	`${r.app}/${r.objectKey}/${r.recordId}`;
/** Knack's largest page. */
const PAGE_SIZE = 1000;

/**
 * Reads the expected records with as few calls as it can: an object with a few of them
 * is read record by record, one with more a page of 1,000 at a time (a whole log's
 * records cost tens of calls, not one per record). A record no page holds is not found.
 */
async function readRecords(
	knack: KnackClient,
	expected: RecordExpectation[],
	signal: AbortSignal | undefined,
): Promise<{
	records: Map<string, ReadBack>;
	calls: number;
	interrupted: boolean;
	quota: Verification["quota"];
}> {
	const records = new Map<string, ReadBack>();
	const call = { priority: "operator" as const };
	let calls = 0;
	const objects = new Map<string, { app: KnackAppName; objectKey: string; ids: Set<string> }>();
	for (const r of expected) {
		const key = `${r.app}/${r.objectKey}`;
		const object = objects.get(key) ?? { app: r.app, objectKey: r.objectKey, ids: new Set<string>() };
		object.ids.add(r.recordId);
		objects.set(key, object);
	}
	const stop = (answer: { reason: string; text: string; quota?: { resetAt: number | null } }) =>
		answer.reason === "quota" ? { text: answer.text, resetAt: answer.quota?.resetAt ?? null } : null;
	type Stopped = { interrupted: boolean; quota: Verification["quota"] } | null;
	const getEach = async (app: KnackAppName, objectKey: string, ids: Iterable<string>): Promise<Stopped> => {
		for (const id of ids) {
			if (signal?.aborted) return { interrupted: true, quota: null };
			calls++;
			const answer = await knack.get(app, objectKey, id, call);
			if (!answer.ok && answer.reason === "quota") return { interrupted: false, quota: stop(answer) };
			records.set(
				recordKey({ app, objectKey, recordId: id }),
				answer.ok ? { ok: true, record: answer.value } : { ok: false, status: answer.status, text: answer.text },
			);
		}
		return null;
	};
	for (const { app, objectKey, ids } of objects.values()) {
		let stopped: Stopped = null;
		if (ids.size <= 3) {
			stopped = await getEach(app, objectKey, ids);
		} else {
			const missing = new Set(ids);
			for (let page = 1; missing.size > 0; page++) {
				if (signal?.aborted) return { records, calls, interrupted: true, quota: null };
				calls++;
				const answer = await knack.list(app, objectKey, { page, rowsPerPage: PAGE_SIZE }, call);
				if (!answer.ok) {
					if (answer.reason === "quota") return { records, calls, interrupted: false, quota: stop(answer) };
					for (const id of missing) {
						records.set(recordKey({ app, objectKey, recordId: id }), {
							ok: false,
							status: answer.status,
							text: answer.text,
						});
					}
					missing.clear();
					break;
				}
				for (const record of answer.value.records) {
					if (!record.id || !missing.delete(record.id)) continue;
					records.set(recordKey({ app, objectKey, recordId: record.id }), { ok: true, record });
				}
				if (page >= answer.value.totalPages) break;
				// A big object holding few of them: the rest one by one is cheaper than every page.
				if (answer.value.totalPages - page > missing.size) {
					stopped = await getEach(app, objectKey, [...missing]);
					missing.clear();
					break;
				}
			}
			for (const id of missing) {
				records.set(recordKey({ app, objectKey, recordId: id }), { ok: false, status: 404, text: "not in any page" });
			}
		}
		if (stopped) return { records, calls, ...stopped };
	}
	return { records, calls, interrupted: false, quota: null };
}

/** The deliveries a fix would re-apply: one per writer behind the disagreements. */
export function deliveriesToFix(disagreements: Disagreement[]): Writer[] {
	const writers = new Map(disagreements.map((d) => [d.writer.deliverySeq, d.writer]));
	return [...writers.values()].sort((a, b) => a.deliverySeq - b.deliverySeq);
}

/** What a fix sends for one writer: its delivery re-applied with its own date, every write, inserts looked up first. */
export function fixCalls(writer: Writer, fieldMap: FieldMapName): PlannedCall[] {
	const { delivery } = writer;
	const plan = planPostback(delivery.payment, { fieldMap, recordedAt: delivery.receivedAt });
	return plannedCalls({ delivery, plan, outcomes: [] }, { force: true, fieldMap, inheritedClaim: false });
}

/** Re-applies each delivery behind a disagreement (forced, with its own date), then reads the records again. */
export async function fixDisagreements(
	deps: OperatorDeps,
	disagreements: Disagreement[],
	{ signal, onFixed }: { signal?: AbortSignal; onFixed?(line: string): void } = {},
): Promise<Set<Disagreement>> {
	const knack = deps.knack();
	const replayer = createReplayer(deps, signal);
	for (const writer of deliveriesToFix(disagreements)) {
		if (signal?.aborted) break;
		const result = await replayer.replayDelivery(writer.delivery, true);
		const line = result.ok
			? `fixed: payment ${writer.citybaseId} ${writer.status} re-applied from delivery ${writer.deliverySeq} (${result.performed} written)`
			: `could not fix payment ${writer.citybaseId} ${writer.status}: ${result.status} ${truncate(result.text, 200)}`;
		await recordAction(deps, writer.delivery, {
			action: "verify-fix",
			what: `verify --fix: re-apply delivery ${writer.deliverySeq} (forced)`,
			result: line,
		});
		onFixed?.(line);
	}
	const fixed = new Set<Disagreement>();
	for (const record of new Set(disagreements.map((d) => d.record))) {
		const again = await check(knack, record);
		if (typeof again === "string") continue;
		const still = new Set(again.map((d) => d.field));
		for (const d of disagreements) if (d.record === record && !still.has(d.field)) fixed.add(d);
	}
	return fixed;
}

/** The records an invoice's events updated, each field with the last value written, in log order. */
export function expectations(events: StoredEvent[], fieldMap: FieldMapName): RecordExpectation[] {
	const deliveries = new Map<number, DeliveryState>();
	for (const history of statusHistories(events)) for (const d of history.deliveries) deliveries.set(d.deliverySeq, d);
	const records = new Map<string, RecordExpectation>();
	for (const event of events) {
		if (event.type !== EventTypes.effectSucceeded || event.deliverySeq === null) continue;
		const { data } = event;
		if (data.method !== "PUT" || (data.kind !== "transaction" && data.kind !== "parent") || !data.recordId) continue;
		const delivery = deliveries.get(event.deliverySeq);
		if (!delivery) continue;
		const plan = planPostback(delivery.payment, { fieldMap, recordedAt: delivery.receivedAt });
		const body = plan.effects.find((e) => e.key === event.effectKey)?.body;
		if (!body) continue;
		const id = `${delivery.payment.app}/${data.objectKey}/${data.recordId}`;
		let record = records.get(id);
		if (!record) {
			record = {
				app: delivery.payment.app,
				invoice: delivery.payment.invoice,
				kind: data.kind,
				objectKey: data.objectKey,
				recordId: data.recordId,
				fields: new Map(),
			};
			records.set(id, record);
		}
		const writer = {
			citybaseId: delivery.payment.citybaseId,
			status: delivery.payment.status,
			delivery,
			deliverySeq: delivery.deliverySeq,
		};
		for (const [field, value] of Object.entries(body)) record.fields.set(field, { value, writer });
	}
	return [...records.values()];
}

/** The record's disagreements, or a description of why it could not be read. */
function compareRecord(record: RecordExpectation, read: ReadBack): Disagreement[] | string {
	const last = [...record.fields.values()].at(-1)?.writer as Writer;
	if (!read.ok) {
		if (read.status === 404) {
			return [{ record, field: "(record)", expected: "exists", actual: "not found (404)", writer: last }];
		}
		return `${record.objectKey}/${record.recordId}: ${read.status ?? "no answer"} ${truncate(read.text, 200)}`;
	}
	const found: Disagreement[] = [];
	for (const [field, { value, writer }] of record.fields) {
		const disagreement = compareField(read.record, field, value);
		if (disagreement) found.push({ record, field, expected: value, actual: disagreement.actual, writer });
	}
	return found;
}

/** One record read again, after a fix. */
async function check(knack: KnackClient, record: RecordExpectation): Promise<Disagreement[] | string> {
	const answer = await knack.get(record.app, record.objectKey, record.recordId, { priority: "operator" });
	return compareRecord(
		record,
		answer.ok ? { ok: true, record: answer.value } : { ok: false, status: answer.status, text: answer.text },
	);
}
