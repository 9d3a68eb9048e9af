import { failureLine } from "../application/operator/describeEvent.ts";
import {
	cursorText,
	parseCursor,
	STUCK_PAGE_SIZE,
	type StuckAge,
	type StuckQuery,
	stuckAges,
	stuckPayments,
} from "../application/operator/stuck.ts";
import { truncate } from "../application/operator/text.ts";
import { Trouble } from "../projections/paymentRow.ts";
import { createPaymentsReadModel } from "../projections/payments.ts";
import { ReadOnlyStorageError } from "../storage/storage.ts";
import { type Command, flag, jsonOption, stringOption } from "./command.ts";
import { ExitCode, UsageError } from "./io.ts";
import { counted, isoTime, JsonArray, localTime, printTable } from "./output.ts";

const troubles = Trouble.anyOf.map((t) => t.const);

/**
 * `stuck`: the console's Stuck page at the terminal. One row per payment, its deliveries
 * folded together, oldest first, a page at a time, with the true count; read from the
 * payments read model, which it first brings up to date when it may write the store.
 */
export const stuck: Command = {
	name: "stuck",
	summary: "Payments not complete in Knack, one row per payment, oldest first, 50 at a time, with the true count.",
	details: `WHY is why each is stuck: ${troubles.join(", ")} (dead-lettered: recovery gave up; quota: Knack answered 429;
knack-4xx: Knack refused the write; knack-5xx: a 5xx, a timeout or no answer; none: no Knack error yet).
The last line says how to ask for the next page. \`pending\` lists the deliveries themselves.
Exits 3 when any payment is stuck (0 when none is), so a cron job can alert on it.`,
	options: {
		app: { type: "string", value: "APP", description: "only this Knack app (STREET_BANNER, SMART_MOBILITY)" },
		status: { type: "string", value: "STATUS", description: "only payments stuck with this CityBase status" },
		why: { type: "string", value: "WHY", description: `only those stuck for this reason (${troubles.join(", ")})` },
		"older-than": { type: "string", value: "AGE", description: "only those stuck longer than 1h, 1d or 7d" },
		after: { type: "string", value: "CURSOR", description: "the page after this place in the list (as printed)" },
		...jsonOption,
	},
	positionals: { min: 0, max: 0 },
	store: "reads",
	exits: ["pending"],
	async run(args, ctx) {
		const query = queryOf(args);
		const deps = await ctx.operator();
		try {
			await createPaymentsReadModel(deps.storage.readModel).catchUp();
		} catch (error) {
			if (!(error instanceof ReadOnlyStorageError)) throw error;
		}
		const page = await stuckPayments(deps, query, Date.now());
		if (page.behind > 0) {
			ctx.note(
				`the payments read model is ${counted(page.behind, "event")} behind the log (read-only store): run rebuild`,
			);
		}
		const next = page.next ? cursorText(page.next) : null;

		if (flag(args, "json")) {
			const list = new JsonArray(ctx.out);
			for (const row of page.rows) {
				list.push({
					citybaseId: row.citybaseId,
					app: row.app,
					status: row.stuckStatus,
					invoice: row.invoice,
					stuckSince: isoTime(row.stuckSince as number),
					waitingDeliveries: row.open.map((d) => d.seq),
					why: row.trouble,
					lastError: row.lastError,
				});
			}
			list.end();
			ctx.note(`${counted(page.total, "payment")} stuck in all${next ? `; next page: --after ${next}` : ""}`);
			return page.total === 0 ? ExitCode.ok : ExitCode.pending;
		}
		if (page.total === 0) {
			ctx.out.line("nothing stuck: every payment is complete in Knack");
			return ExitCode.ok;
		}
		printTable(
			ctx.out,
			["STUCK SINCE (CT)", "PAYMENT", "APP", "STATUS", "INVOICE", "DELIVERIES", "WHY", "LAST ERROR"],
			page.rows.map((row) => [
				localTime(row.stuckSince as number),
				String(row.citybaseId),
				row.app,
				row.stuckStatus ?? "",
				row.invoice,
				String(row.open.length),
				row.trouble ?? "",
				row.lastError ? truncate(failureLine(row.lastError), 90) : "-",
			]),
		);
		ctx.out.line();
		const filtered = query.app || query.status || query.trouble || query.olderThan;
		ctx.out.line(
			`${counted(page.total, "payment")} stuck${
				filtered ? `, ${page.matching.atLeast ? "at least " : ""}${page.matching.n} matching` : ""
			}; ${page.rows.length} shown${next ? `; next ${STUCK_PAGE_SIZE}: --after ${next}` : ""}`,
		);
		return ExitCode.pending;
	},
};

function queryOf(args: Parameters<Command["run"]>[0]): StuckQuery {
	const why = stringOption(args, "why");
	if (why !== undefined && !troubles.includes(why as Trouble)) {
		throw new UsageError(`--why must be one of ${troubles.join(", ")}`);
	}
	const age = stringOption(args, "older-than");
	if (age !== undefined && !(age in stuckAges)) throw new UsageError("--older-than must be 1h, 1d or 7d");
	const after = stringOption(args, "after");
	const cursor = after === undefined ? undefined : parseCursor(after);
	if (after !== undefined && cursor === undefined)
		throw new UsageError("--after takes the place the last page printed, such as 1755544620000.70000123");
	return {
		app: stringOption(args, "app"),
		status: stringOption(args, "status"),
		trouble: why as Trouble | undefined,
		olderThan: age as StuckAge | undefined,
		after: cursor,
	};
}
