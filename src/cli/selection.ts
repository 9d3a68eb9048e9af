import {
	resolveSelection,
	type Selection,
	SelectionError,
	type SelectionRequest,
} from "../application/operator/selection.ts";
import { type Args, flag, integerOption, parseInteger, stringOption } from "./command.ts";
import type { CliContext } from "./context.ts";
import { UsageError } from "./io.ts";

/** The options that choose what a replay covers, and their parsing into a selection. */
export const selectionOptions = {
	payment: { type: "string", value: "ID", description: "one CityBase payment (all its statuses)" },
	invoice: { type: "string", value: "INV", description: "every payment of one invoice" },
	from: { type: "string", value: "SEQ", description: "deliveries from log position SEQ (with --to, or to the end)" },
	to: { type: "string", value: "SEQ", description: "deliveries up to log position SEQ" },
	all: { type: "boolean", description: "the whole log" },
} as const;

export async function parseSelection(args: Args, ctx: CliContext): Promise<Selection> {
	const request = selectionRequest(args);
	try {
		return await resolveSelection(await ctx.storage(), request);
	} catch (error) {
		if (error instanceof SelectionError) throw new UsageError(error.message);
		throw error;
	}
}

function selectionRequest(args: Args): SelectionRequest {
	const payment = stringOption(args, "payment");
	const invoice = stringOption(args, "invoice");
	const from = integerOption(args, "from", 1);
	const to = integerOption(args, "to", 1);
	const ranged = from !== undefined || to !== undefined;
	const chosen = [payment !== undefined, invoice !== undefined, ranged, flag(args, "all")].filter(Boolean).length;
	if (chosen !== 1) throw new UsageError("choose exactly one of --payment, --invoice, --from/--to, --all");
	if (payment !== undefined) return { kind: "payment", citybaseId: parseInteger(payment, "--payment") };
	if (invoice !== undefined) return { kind: "invoice", invoice };
	return ranged ? { kind: "range", from, to } : { kind: "all" };
}
