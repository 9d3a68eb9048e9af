import { callTarget, failureText } from "../application/operator/describeEvent.ts";
import type { Assessment, StatusHistory } from "../application/operator/history.ts";
import { latestPayment, searchPayments } from "../application/operator/search.ts";
import { EventTypes } from "../events/types.ts";
import { type Command, flag, jsonOption } from "./command.ts";
import { eventCells } from "./events.ts";
import { CliError, ExitCode } from "./io.ts";
import { isoTime, localTime, printJson, printTable } from "./output.ts";

/** `payments show`: one payment's whole story, and what of it Knack has not seen yet. */
export const paymentsShow: Command = {
	name: "payments show",
	operands: "ID|INVOICE|RECORD",
	summary:
		"One payment's timeline: every delivery, every Knack write with its status and record id, what is unfinished.",
	details:
		"A number is read as a CityBase payment id, anything else (or a number no payment has) as an invoice number,\nthen as a Knack record id (the transaction, reservation or any record written for the payment).",
	options: { ...jsonOption },
	positionals: { min: 1, max: 1 },
	store: "reads",
	async run(args, ctx) {
		const query = args.positionals[0] as string;
		const payments = await searchPayments(await ctx.operator(), query);
		if (payments.length === 0) {
			throw new CliError(`no payment, invoice or Knack record ${JSON.stringify(query)} in the log`);
		}

		if (flag(args, "json")) {
			printJson(ctx.out, {
				query,
				payments: payments.map((payment) => {
					const { citybaseId, timeline, statuses } = payment;
					const latest = latestPayment(payment);
					return {
						citybaseId,
						app: latest?.app ?? null,
						invoice: latest?.invoice ?? null,
						knackRecordId: latest?.knackRecordId ?? null,
						parentRecordId: latest?.parentRecordId ?? null,
						statuses: statuses.map(({ history, assessment }) => statusJson(history, assessment)),
						timeline: timeline.map((e) => ({
							seq: e.seq,
							deliverySeq: e.deliverySeq ?? e.seq,
							type: e.type,
							recordedAt: isoTime(e.recordedAt),
							...(e.type === EventTypes.accepted || e.type === EventTypes.received ? {} : e.data),
						})),
					};
				}),
			});
			return ExitCode.ok;
		}

		const out = ctx.out;
		for (const [i, payment] of payments.entries()) {
			const { citybaseId, timeline, statuses } = payment;
			if (i > 0) out.line();
			const latest = latestPayment(payment);
			out.line(
				`payment ${citybaseId} · ${latest?.app ?? "?"} · invoice ${latest?.invoice ?? "?"} · transaction record ${
					latest?.knackRecordId ?? "?"
				}${latest?.parentRecordId ? ` · ${latest.bannerType ?? "reservation"} record ${latest.parentRecordId}` : ""}`,
			);
			out.line();
			printTable(
				out,
				["TIME (AUSTIN)", "SEQ", "DELIVERY", "STATUS", "EVENT", "KNACK CALL", "RESULT"],
				timeline
					.filter((e) => e.type !== EventTypes.received)
					.map((e) => [
						localTime(e.recordedAt),
						String(e.seq),
						String(e.deliverySeq ?? e.seq),
						e.paymentStatus ?? "",
						...eventCells(e),
					]),
			);
			out.line();
			for (const { history, assessment } of statuses) out.line(statusLine(history, assessment));
		}
		return ExitCode.ok;
	},
};

function statusLine(history: StatusHistory, a: Assessment): string {
	const deliveries = history.deliveries
		.map((d) => `${d.deliverySeq} ${d.applied ? "applied" : d.deadLettered ? "dead-lettered" : "incomplete"}`)
		.join(", ");
	const head = `${history.status}: ${history.deliveries.length === 1 ? "delivery" : "deliveries"} ${deliveries}`;
	if (a.unfinished.length === 0) return `${head}; nothing unfinished`;
	const todo = a.unfinished.map((e) => `${e.kind} (${callTarget(e.method, e.objectKey, e.recordId)})`).join(", ");
	const error = a.lastFailure ? `; last error ${failureText(a.lastFailure.data)}` : "";
	return `${head}; UNFINISHED: ${todo}${error}`;
}

function statusJson(history: StatusHistory, a: Assessment) {
	return {
		status: history.status,
		deliveries: history.deliveries.map((d) => ({
			seq: d.deliverySeq,
			receivedAt: isoTime(d.receivedAt),
			applied: d.applied,
			deadLettered: d.deadLettered,
		})),
		effects: a.plan.effects.map((e) => {
			const outcome = a.done.get(e.key);
			return {
				key: e.key,
				kind: e.kind,
				method: e.method,
				objectKey: e.objectKey,
				recordId: e.recordId,
				done: outcome !== undefined,
				knackRecordId: outcome?.data.recordId ?? null,
			};
		}),
		unfinished: a.unfinished.map((e) => e.kind),
		warnings: a.plan.warnings,
		lastError: a.lastFailure ? { seq: a.lastFailure.seq, ...a.lastFailure.data } : null,
	};
}
