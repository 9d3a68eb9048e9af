import { failureLine } from "../application/operator/describeEvent.ts";
import { stuckDeliveries } from "../application/operator/stuck.ts";
import { truncate } from "../application/operator/text.ts";
import { type Command, flag, integerOption, jsonOption } from "./command.ts";
import { ExitCode } from "./io.ts";
import { isoTime, JsonArray, localTime, printTable } from "./output.ts";

/** `pending`: what Knack is still owed, oldest first, and why it is not done. */
export const pending: Command = {
	name: "pending",
	summary: "Deliveries not yet applied to Knack (incomplete or dead-lettered), oldest first, with their last error.",
	details:
		"UNFINISHED names the Knack writes still to do for the payment and status; `none` means another delivery of\nthe same payment finished them, and the next replay or recovery pass only records that. `replay --payment ID`\nfinishes one. Exits 3 when anything is pending (0 when nothing is), so a cron job can alert on it.",
	options: {
		limit: { type: "string", value: "N", description: "at most N deliveries of each kind (default 1000)" },
		...jsonOption,
	},
	positionals: { min: 0, max: 0 },
	store: "reads",
	exits: ["pending"],
	async run(args, ctx) {
		const limit = integerOption(args, "limit", 1) ?? 1000;
		const deps = await ctx.operator();
		const rows = await stuckDeliveries(deps, limit);
		// At the limit, the list is the oldest only: say so, and how many wait in all, rather than pass it off as all.
		const { incomplete } = await deps.storage.events.counts();
		const capped =
			incomplete > limit || rows.filter((r) => r.delivery.deadLettered).length >= limit
				? `the oldest ${limit} of each kind shown (--limit); ${incomplete} deliveries wait for Knack in all (cli stuck counts and pages through their payments)`
				: null;

		if (flag(args, "json")) {
			const list = new JsonArray(ctx.out);
			for (const { delivery, payment, assessment: a, attempts } of rows) {
				list.push({
					seq: delivery.deliverySeq,
					receivedAt: isoTime(delivery.receivedAt),
					citybaseId: payment.citybaseId,
					status: payment.status,
					invoice: payment.invoice,
					app: payment.app,
					state: delivery.deadLettered ? "dead-lettered" : "incomplete",
					deadLetterReason: delivery.deadLettered?.reason ?? null,
					attempts,
					unfinished: a.unfinished.map((e) => ({
						kind: e.kind,
						method: e.method,
						objectKey: e.objectKey,
						recordId: e.recordId,
					})),
					lastError: a.lastFailure ? { seq: a.lastFailure.seq, ...a.lastFailure.data } : null,
				});
			}
			list.end();
			if (capped) ctx.note(capped);
			return rows.length === 0 ? ExitCode.ok : ExitCode.pending;
		}
		if (rows.length === 0) {
			ctx.out.line("nothing pending: every accepted delivery is applied");
			return ExitCode.ok;
		}
		printTable(
			ctx.out,
			["SEQ", "RECEIVED (CT)", "PAYMENT", "STATUS", "INVOICE", "STATE", "ATTEMPTS", "UNFINISHED", "LAST ERROR"],
			rows.map(({ delivery, payment, assessment: a, attempts }) => [
				String(delivery.deliverySeq),
				localTime(delivery.receivedAt),
				String(payment.citybaseId),
				payment.status,
				payment.invoice,
				delivery.deadLettered ? "dead-lettered" : "incomplete",
				String(attempts),
				a.unfinished.length === 0 ? "none" : a.unfinished.map((e) => e.kind).join(", "),
				a.lastFailure ? truncate(failureLine(a.lastFailure.data), 90) : (delivery.deadLettered?.reason ?? "-"),
			]),
		);
		ctx.out.line();
		ctx.out.line(capped ? `${rows.length} pending: ${capped}` : `${rows.length} pending`);
		return ExitCode.pending;
	},
};
