import type { EventStore } from "../events/store.ts";
import { type EffectSucceededData, EventTypes, type StoredEvent } from "../events/types.ts";
import type { AppName } from "../projections/knack/fieldMaps.ts";
import { planPostback } from "../projections/knack/plan.ts";
import {
	type Args,
	CliError,
	type Command,
	ExitCode,
	flag,
	jsonOption,
	parseInteger,
	stringOption,
	UsageError,
} from "./command.ts";
import { compareField } from "./compare.ts";
import type { CliContext } from "./context.ts";
import { parseDateBound } from "./dates.ts";
import { type DeliveryState, statusHistories } from "./history.ts";
import { counted, JsonArray, printTable, truncate } from "./output.ts";
import { createProgress } from "./progress.ts";
import { createReplayer } from "./replayer.ts";

/**
 * `verify`: reads back from Knack the transaction and reservation records the log
 * says were updated, and lists every field that no longer holds what was written
 * last. `--fix` re-applies (forced) the deliveries whose writes were undone.
 */
export const verify: Command = {
	name: "verify",
	summary: "Compare the transaction and reservation records in Knack with what the log says was written to them.",
	details: [
		"For every record the log updated (PUT), the last value written to each field is read back with a GET.",
		"Booleans and text are compared exactly; dates by day and minute, since Knack formats them its own way.",
		"Message and refund records (inserts) are not read back. Exit 1 when Knack disagrees (and --fix did not",
		"repair it) or a record could not be read. --fix replays exactly the deliveries behind the disagreements",
		"with --force, then checks again; writing to the production Knack asks for confirmation unless --yes.",
	].join("\n"),
	options: {
		payment: { type: "string", value: "ID", description: "only the records of this CityBase payment's invoice" },
		invoice: { type: "string", value: "INV", description: "only the records of this invoice" },
		since: { type: "string", value: "DATE", description: "only invoices with a delivery received at or after DATE" },
		fix: { type: "boolean", description: "replay (forced) the payments whose writes Knack lost, then check again" },
		yes: { type: "boolean", description: "do not ask before writing to the production Knack" },
		...jsonOption,
	},
	positionals: { min: 0, max: 0 },
	async run(args, ctx) {
		const store = ctx.store();
		const invoices = invoicesToVerify(args, store);
		const knack = ctx.knack();
		const progress = createProgress(ctx.io, "verify", invoices.length, "invoices");
		const disagreements: Disagreement[] = [];
		const unreadable: string[] = [];
		let records = 0;
		for (const invoice of invoices) {
			for (const expectation of expectations(store.byInvoice(invoice), ctx.fieldMap())) {
				records++;
				const found = await check(knack, expectation);
				if (typeof found === "string") unreadable.push(found);
				else disagreements.push(...found);
			}
			progress.tick();
			if (ctx.io.signal?.aborted) break;
		}
		progress.done(ctx.io.signal?.aborted !== true);

		let fixed = new Set<Disagreement>();
		if (flag(args, "fix") && disagreements.length > 0) {
			if (
				!(await ctx.confirmKnackWrites(
					`re-apply ${new Set(disagreements.map((d) => d.writer.deliverySeq)).size} deliveries`,
					flag(args, "yes"),
				))
			) {
				ctx.note("cancelled: nothing was sent to Knack");
				return ExitCode.failed;
			}
			fixed = await fix(ctx, knack, disagreements);
		}

		const remaining = disagreements.filter((d) => !fixed.has(d));
		const interrupted = ctx.io.signal?.aborted === true;
		if (flag(args, "json")) {
			const list = new JsonArray(ctx.out);
			for (const d of disagreements) {
				list.push({
					citybaseId: d.writer.citybaseId,
					status: d.writer.status,
					invoice: d.record.invoice,
					app: d.record.app,
					kind: d.record.kind,
					objectKey: d.record.objectKey,
					recordId: d.record.recordId,
					field: d.field,
					expected: d.expected,
					actual: d.actual,
					deliverySeq: d.writer.deliverySeq,
					...(flag(args, "fix") ? { fixed: fixed.has(d) } : {}),
				});
			}
			list.end();
		} else if (disagreements.length > 0) {
			printTable(
				ctx.out,
				[
					"PAYMENT",
					"STATUS",
					"INVOICE",
					"RECORD",
					"FIELD",
					"LOG SAYS",
					"KNACK HAS",
					...(flag(args, "fix") ? ["FIX"] : []),
				],
				disagreements.map((d) => [
					String(d.writer.citybaseId),
					d.writer.status,
					d.record.invoice,
					`${d.record.objectKey}/${d.record.recordId} (${d.record.kind})`,
					d.field,
					show(d.expected),
					truncate(d.actual, 60),
					...(flag(args, "fix") ? [fixed.has(d) ? "fixed" : "NOT FIXED"] : []),
				]),
			);
			ctx.out.line();
		}
		for (const line of unreadable) ctx.note(`could not read ${line}`);
		const summary = `verified ${counted(records, "Knack record")} of ${counted(invoices.length, "invoice")}: ${counted(disagreements.length, "disagreement")}${flag(args, "fix") ? `, ${fixed.size} fixed` : ""}${unreadable.length > 0 ? `, ${unreadable.length} unreadable` : ""}${
			interrupted ? "; INTERRUPTED before every invoice was checked" : ""
		}`;
		if (flag(args, "json")) ctx.note(summary);
		else ctx.out.line(summary);
		if (interrupted) return ExitCode.interrupted;
		return remaining.length > 0 || unreadable.length > 0 ? ExitCode.failed : ExitCode.ok;
	},
};

function invoicesToVerify(args: Args, store: EventStore): string[] {
	const payment = stringOption(args, "payment");
	const invoice = stringOption(args, "invoice");
	const since = stringOption(args, "since");
	if ([payment, invoice, since].filter((v) => v !== undefined).length > 1) {
		throw new UsageError("choose at most one of --payment, --invoice, --since");
	}
	if (invoice !== undefined) return [invoice];
	if (payment !== undefined) {
		const id = parseInteger(payment, "--payment");
		const found = store.byPayment(id).flatMap((e) => (e.invoice === null ? [] : [e.invoice]));
		if (found.length === 0) throw new CliError(`no payment ${id} in the log`);
		return [...new Set(found)];
	}
	const from = since === undefined ? Number.NEGATIVE_INFINITY : parseDateBound(since, "--since", "start");
	const invoices = new Set<string>();
	for (const e of store.range(1, store.lastSeq())) {
		if (e.type === EventTypes.accepted && e.invoice !== null && e.recordedAt >= from) invoices.add(e.invoice);
	}
	return [...invoices];
}

interface Writer {
	citybaseId: number;
	status: string;
	delivery: DeliveryState;
	deliverySeq: number;
}

interface RecordExpectation {
	app: AppName;
	invoice: string;
	kind: "transaction" | "parent";
	objectKey: string;
	recordId: string;
	/** field → the last value the log says was written, and which delivery wrote it */
	fields: Map<string, { value: unknown; writer: Writer }>;
}

interface Disagreement {
	record: RecordExpectation;
	field: string;
	expected: unknown;
	actual: string;
	writer: Writer;
}

/** The records an invoice's events updated, each field with the last value written, in log order. */
function expectations(events: StoredEvent[], fieldMap: ReturnType<CliContext["fieldMap"]>): RecordExpectation[] {
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
async function check(
	knack: ReturnType<CliContext["knack"]>,
	record: RecordExpectation,
): Promise<Disagreement[] | string> {
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

/** Re-applies each delivery behind a disagreement (forced, with its own date), then reads the records again. */
async function fix(
	ctx: CliContext,
	knack: ReturnType<CliContext["knack"]>,
	disagreements: Disagreement[],
): Promise<Set<Disagreement>> {
	const replayer = createReplayer(ctx, ctx.io.signal);
	const writers = new Map(disagreements.map((d) => [d.writer.deliverySeq, d.writer]));
	for (const writer of [...writers.values()].sort((a, b) => a.deliverySeq - b.deliverySeq)) {
		if (ctx.io.signal?.aborted) break;
		const result = await replayer.replayDelivery(writer.delivery, true);
		ctx.note(
			result.ok
				? `fixed: payment ${writer.citybaseId} ${writer.status} re-applied from delivery ${writer.deliverySeq} (${result.performed} written)`
				: `could not fix payment ${writer.citybaseId} ${writer.status}: ${result.status} ${truncate(result.text, 200)}`,
		);
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

function show(value: unknown): string {
	return typeof value === "string" ? value : JSON.stringify(value);
}
