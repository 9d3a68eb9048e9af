import { describeEvent } from "../application/operator/describeEvent.ts";
import { truncate } from "../application/operator/text.ts";
import { deliveryDetail, LookupError, listDeliveries } from "../application/operator/timeline.ts";
import type { OpenedBody } from "../events/bodyCipher.ts";
import { bodyForDisplay } from "../events/bodyDisplay.ts";
import { EventTypes, type StoredEvent } from "../events/types.ts";
import type { DeliveryFilter } from "../storage/storage.ts";
import {
	type Args,
	asOption,
	type Command,
	flag,
	integerOption,
	jsonOption,
	parseInteger,
	stringOption,
} from "./command.ts";
import type { CliContext } from "./context.ts";
import { parseDateBound } from "./dates.ts";
import { CliError, ExitCode } from "./io.ts";
import { isoTime, JsonArray, localTime, printJson, printTable } from "./output.ts";

/** `events list` and `events show`: the deliveries in the log, and everything one of them caused. */

const DEFAULT_LIMIT = 100;

export const eventsList: Command = {
	name: "events list",
	summary: "List deliveries (one row per POST from CityBase), newest first, with how far each got in Knack.",
	details: [
		"SEQ is the delivery's position in the log; `events show SEQ` shows its events.",
		"Times in the table are Austin time (America/Chicago); dates without a zone are too.",
	].join("\n"),
	options: {
		payment: { type: "string", value: "ID", description: "only this CityBase payment id" },
		invoice: { type: "string", value: "INV", description: "only this invoice number" },
		status: { type: "string", value: "STATUS", description: "only this payment status (successful, voided, …)" },
		since: { type: "string", value: "DATE", description: "received at or after DATE (2025-08-18 or 2025-08-18T14:00)" },
		until: { type: "string", value: "DATE", description: "received before DATE (a bare date includes that day)" },
		rejected: { type: "boolean", description: "only deliveries rejected as invalid" },
		limit: { type: "string", value: "N", description: `at most the N most recent (default ${DEFAULT_LIMIT}; 0: all)` },
		...jsonOption,
	},
	positionals: { min: 0, max: 0 },
	store: "reads",
	async run(args, ctx) {
		const filter = deliveryFilter(args);
		const limit = integerOption(args, "limit") ?? DEFAULT_LIMIT;
		const rows = await listDeliveries(await ctx.operator(), filter, limit);
		if (flag(args, "json")) {
			const list = new JsonArray(ctx.out);
			for (const row of rows) {
				const s = row.summary;
				list.push({
					seq: row.deliverySeq,
					receivedAt: isoTime(row.receivedAt),
					verdict: row.accepted ? "accepted" : "rejected",
					citybaseId: row.citybaseId,
					status: row.status,
					invoice: row.invoice,
					reason: row.reason,
					state: row.state,
					knackSucceeded: s?.succeeded ?? 0,
					knackFailed: s?.failed ?? 0,
				});
			}
			list.end();
			return ExitCode.ok;
		}
		if (rows.length === 0) {
			ctx.out.line("no deliveries match");
			return ExitCode.ok;
		}
		printTable(
			ctx.out,
			["SEQ", "RECEIVED", "PAYMENT", "STATUS", "INVOICE", "STATE", "KNACK"],
			rows.map((row) => {
				const s = row.summary;
				return [
					String(row.deliverySeq),
					localTime(row.receivedAt),
					row.citybaseId === null ? "-" : String(row.citybaseId),
					row.status ?? "-",
					row.invoice ?? "-",
					row.state,
					row.accepted ? `${s?.succeeded ?? 0} ok, ${s?.failed ?? 0} failed` : truncate(row.reason ?? "", 70),
				];
			}),
		);
		if (limit > 0 && rows.length === limit) ctx.note(`(the ${limit} most recent; --limit 0 for all)`);
		return ExitCode.ok;
	},
};

function deliveryFilter(args: Args): DeliveryFilter {
	const payment = stringOption(args, "payment");
	const since = stringOption(args, "since");
	const until = stringOption(args, "until");
	return {
		citybaseId: payment === undefined ? undefined : parseInteger(payment, "--payment"),
		invoice: stringOption(args, "invoice"),
		status: stringOption(args, "status"),
		since: since === undefined ? undefined : parseDateBound(since, "--since", "start"),
		until: until === undefined ? undefined : parseDateBound(until, "--until", "end"),
		rejectedOnly: flag(args, "rejected"),
	};
}

export const eventsShow: Command = {
	name: "events show",
	operands: "SEQ",
	summary: "Show one delivery: the request, the body CityBase sent, its verdict and every Knack outcome.",
	details: [
		"SEQ may be the position of any of the delivery's events. The body is decrypted with EVENT_LOG_KEYS; one",
		"sealed with a key no longer listed shows as unreadable, naming the key. Card and bank details are masked",
		"unless --reveal is given, and every reveal is logged with the delivery and who asked (--as, else",
		"CITYBASE_OPERATOR, else the OS user). `export` keeps the stored bytes.",
	].join("\n"),
	options: {
		reveal: { type: "boolean", description: "show card and bank details unmasked (logged)" },
		...asOption,
		...jsonOption,
	},
	positionals: { min: 1, max: 1 },
	store: "reads",
	async run(args, ctx) {
		const seq = parseInteger(args.positionals[0] as string, "SEQ", 1);
		let detail: Awaited<ReturnType<typeof deliveryDetail>>;
		try {
			detail = await deliveryDetail(await ctx.operator(), seq, ctx.config().eventLogKeys);
		} catch (error) {
			if (error instanceof LookupError) throw new CliError(error.message);
			throw error;
		}
		const { deliverySeq, received, request, verdict, outcomes, events: rest } = detail;
		const reveal = flag(args, "reveal");
		if (reveal) logReveal(ctx, deliverySeq);
		const body = bodyForDisplay(detail.body, { reveal });

		if (flag(args, "json")) {
			printJson(ctx.out, {
				seq: deliverySeq,
				receivedAt: isoTime(received.recordedAt),
				request,
				body,
				bodyKey: bodyKey(detail.body),
				verdict:
					verdict?.type === EventTypes.accepted
						? { accepted: true, payment: verdict.data.payment }
						: { accepted: false, reason: verdict?.data.reason ?? null },
				events: rest.map((e) => ({ seq: e.seq, type: e.type, recordedAt: isoTime(e.recordedAt), ...e.data })),
			});
			return ExitCode.ok;
		}

		const out = ctx.out;
		out.line(`delivery ${deliverySeq}, received ${localTime(received.recordedAt)} (Austin time)`);
		out.line(
			`  from ${request.remoteAddress ?? "?"}, request id ${request.requestId ?? "-"}, content type ${request.contentType ?? "-"}`,
		);
		if (verdict?.type === EventTypes.accepted) {
			const { payment } = verdict.data;
			out.line(
				`  accepted: payment ${payment.citybaseId} ${payment.status}, ${payment.app}, invoice ${payment.invoice}, ` +
					`transaction ${payment.knackRecordId}, parent ${payment.parentRecordId ?? "-"}, banner ${payment.bannerType ?? "-"}`,
			);
		} else {
			out.line(`  rejected: ${verdict?.data.reason ?? "no verdict recorded"}`);
		}
		out.line();
		out.line(`body (${bodyState(detail.body)}):`);
		out.line(body);
		out.line();
		if (outcomes.length === 0) {
			out.line(verdict?.type === EventTypes.accepted ? "no Knack outcome recorded yet" : "nothing sent to Knack");
			return ExitCode.ok;
		}
		printTable(
			out,
			["SEQ", "TIME", "EVENT", "KNACK CALL", "RESULT"],
			outcomes.map((e) => [String(e.seq), localTime(e.recordedAt), ...eventCells(e)]),
		);
		return ExitCode.ok;
	},
};

/**
 * Who revealed what, never the values: the CLI's logger writes to stderr, where the
 * operator's session (or whatever runs the command) keeps it.
 */
function logReveal(ctx: CliContext, deliverySeq: number) {
	ctx.logger().warn("card and bank details revealed", {
		delivery_seq: deliverySeq,
		operator: ctx.who(),
	});
}

/** The id of the key that sealed the body; null when it is stored in clear (or damaged). */
function bodyKey(body: OpenedBody): string | null {
	return body.state === "plain" ? null : body.keyId;
}

function bodyState(body: OpenedBody): string {
	switch (body.state) {
		case "plain":
			return "stored in clear";
		case "decrypted":
			return `encrypted with key ${body.keyId}`;
		case "unreadable":
			return body.keyId ? `encrypted with key ${body.keyId}` : "damaged";
	}
}

/** An event as a table row (EVENT, KNACK CALL, RESULT); what Knack or a person wrote is cut to one line. */
export function eventCells(e: StoredEvent): [string, string, string] {
	const { name, call, result } = describeEvent(e);
	return [name, call, freeText.has(e.type) ? truncate(result, 90) : result];
}

const freeText = new Set<StoredEvent["type"]>([EventTypes.effectFailed, EventTypes.operatorAction]);
