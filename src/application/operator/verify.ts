import type { KnackAppName } from "../../events/payload.ts";
import { type EffectSucceededData, EventTypes, type StoredEvent } from "../../events/types.ts";
import type { KnackClient } from "../../projections/knack/client.ts";
import type { FieldMapName } from "../../projections/knack/fieldMaps.ts";
import { planPostback } from "../../projections/knack/plan.ts";
import { recordAction } from "./audit.ts";
import { compareField } from "./compare.ts";
import type { OperatorDeps } from "./deps.ts";
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
	interrupted: boolean;
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
	const knack = deps.knack();
	const result: Verification = {
		invoices: invoices.length,
		records: 0,
		disagreements: [],
		unreadable: [],
		interrupted: false,
	};
	for (const invoice of invoices) {
		for (const expectation of expectations(await deps.storage.events.byInvoice(invoice), deps.fieldMap)) {
			result.records++;
			const found = await check(knack, expectation);
			if (typeof found === "string") result.unreadable.push(found);
			else result.disagreements.push(...found);
		}
		onInvoice?.();
		if (signal?.aborted) {
			result.interrupted = true;
			break;
		}
	}
	return result;
}

/** The deliveries a fix would re-apply: one per writer behind the disagreements. */
export function deliveriesToFix(disagreements: Disagreement[]): Writer[] {
	const writers = new Map(disagreements.map((d) => [d.writer.deliverySeq, d.writer]));
	return [...writers.values()].sort((a, b) => a.deliverySeq - b.deliverySeq);
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
		const data = event.data as EffectSucceededData;
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
async function check(knack: KnackClient, record: RecordExpectation): Promise<Disagreement[] | string> {
	const answer = await knack.get(record.app, record.objectKey, record.recordId);
	const last = [...record.fields.values()].at(-1)?.writer as Writer;
	if (!answer.ok) {
		if (answer.status === 404) {
			return [{ record, field: "(record)", expected: "exists", actual: "not found (404)", writer: last }];
		}
		return `${record.objectKey}/${record.recordId}: ${answer.status ?? "no answer"} ${truncate(answer.text, 200)}`;
	}
	const found: Disagreement[] = [];
	for (const [field, { value, writer }] of record.fields) {
		const disagreement = compareField(answer.value, field, value);
		if (disagreement) found.push({ record, field, expected: value, actual: disagreement.actual, writer });
	}
	return found;
}
