import { truncate } from "../application/operator/text.ts";
import {
	type Disagreement,
	deliveriesToFix,
	fixCalls,
	fixDisagreements,
	invoicesToVerify,
	type VerifyScope,
	VerifyScopeError,
	verifyInvoices,
} from "../application/operator/verify.ts";
import { fieldName, namedField } from "../projections/knack/fieldNames.ts";
import { callLine } from "./callLine.ts";
import { type Args, asOption, type Command, flag, jsonOption, parseInteger, stringOption } from "./command.ts";
import { parseDateBound } from "./dates.ts";
import { CliError, ExitCode, UsageError } from "./io.ts";
import { counted, JsonArray, printTable } from "./output.ts";
import { createProgress } from "./progress.ts";

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
		"with --force, then checks again; writing to the production Knack lists the calls and asks for confirmation",
		"unless --yes. A fix is recorded under --as NAME (or CITYBASE_OPERATOR, else the OS user); in production one",
		"of the first two is required.",
	].join("\n"),
	options: {
		payment: { type: "string", value: "ID", description: "only the records of this CityBase payment's invoice" },
		invoice: { type: "string", value: "INV", description: "only the records of this invoice" },
		since: { type: "string", value: "DATE", description: "only invoices with a delivery received at or after DATE" },
		fix: { type: "boolean", description: "replay (forced) the payments whose writes Knack lost, then check again" },
		yes: { type: "boolean", description: "do not ask before writing to the production Knack" },
		...asOption,
		...jsonOption,
	},
	positionals: { min: 0, max: 0 },
	store: { writes: "verify --fix records the Knack calls of its replays in the log", onlyWith: "fix" },
	knack: { calls: {}, writes: { onlyWith: "fix" } },
	exits: ["quota"],
	async run(args, ctx) {
		const deps = await ctx.operator();
		let invoices: string[];
		try {
			invoices = await invoicesToVerify(deps, verifyScope(args));
		} catch (error) {
			if (error instanceof VerifyScopeError) throw new CliError(error.message);
			throw error;
		}
		deps.knack(); // missing credentials are said before anything is read
		const progress = createProgress(ctx.io, "verify", invoices.length, "invoices");
		const { disagreements, unreadable, records, knackCalls, quota } = await verifyInvoices(deps, invoices, {
			signal: ctx.io.signal,
			onInvoice: () => progress.tick(),
		});
		progress.done(ctx.io.signal?.aborted !== true);

		let fixed = new Set<Disagreement>();
		if (flag(args, "fix") && disagreements.length > 0) {
			const writers = deliveriesToFix(disagreements);
			const what = `re-apply ${counted(writers.length, "delivery", "deliveries")}`;
			const calls = writers.flatMap((w) => [
				`delivery ${w.deliverySeq}: payment ${w.citybaseId} ${w.status}`,
				...fixCalls(w, deps.fieldMap).map((call) => `  ${callLine(call, deps.fieldMap)}`),
			]);
			if (!(await ctx.confirmKnackWrites(what, flag(args, "yes"), calls))) {
				ctx.note("cancelled: nothing was sent to Knack");
				return ExitCode.failed;
			}
			fixed = await fixDisagreements(deps, disagreements, { signal: ctx.io.signal, onFixed: ctx.note });
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
					fieldName: fieldName(deps.fieldMap, d.record.objectKey, d.field),
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
					namedField(deps.fieldMap, d.record.objectKey, d.field),
					show(d.expected),
					truncate(d.actual, 60),
					...(flag(args, "fix") ? [fixed.has(d) ? "fixed" : "NOT FIXED"] : []),
				]),
			);
			ctx.out.line();
		}
		for (const line of unreadable) ctx.note(`could not read ${line}`);
		const summary = `verified ${counted(records, "Knack record")} of ${counted(invoices.length, "invoice")} with ${counted(knackCalls, "Knack call")}: ${counted(disagreements.length, "disagreement")}${flag(args, "fix") ? `, ${fixed.size} fixed` : ""}${unreadable.length > 0 ? `, ${unreadable.length} unreadable` : ""}${
			interrupted ? "; INTERRUPTED before every invoice was checked" : ""
		}${quota ? `; STOPPED before every record was read: ${quota.text}; run it again after the reset` : ""}`;
		if (flag(args, "json")) ctx.note(summary);
		else ctx.out.line(summary);
		if (interrupted) return ExitCode.interrupted;
		if (quota) return ExitCode.quota;
		return remaining.length > 0 || unreadable.length > 0 ? ExitCode.failed : ExitCode.ok;
	},
};

function verifyScope(args: Args): VerifyScope {
	const payment = stringOption(args, "payment");
	const invoice = stringOption(args, "invoice");
	const since = stringOption(args, "since");
	if ([payment, invoice, since].filter((v) => v !== undefined).length > 1) {
		throw new UsageError("choose at most one of --payment, --invoice, --since");
	}
	if (invoice !== undefined) return { invoice };
	if (payment !== undefined) return { payment: parseInteger(payment, "--payment") };
	if (since !== undefined) return { since: parseDateBound(since, "--since", "start") };
	return { all: true };
}

function show(value: unknown): string {
	return typeof value === "string" ? value : JSON.stringify(value);
}
