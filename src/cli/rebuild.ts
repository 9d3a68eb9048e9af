import { createPaymentsReadModel } from "../projections/payments.ts";
import { type Command, flag, jsonOption } from "./command.ts";
import { collecting } from "./heap.ts";
import { ExitCode } from "./io.ts";
import { duration, printJson } from "./output.ts";

/** `rebuild`: drop the payments read model and fold the whole log again. */
export const rebuild: Command = {
	name: "rebuild",
	summary: "Drop the local payments read model and rebuild it from the log; prints its checksum.",
	details:
		"The log is read page by page, so memory stays flat. The checksum covers every row of the read model:\ntwo rebuilds of the same log, or of an exported and re-imported copy, print the same one.",
	options: { ...jsonOption },
	positionals: { min: 0, max: 0 },
	store: { writes: "rebuild rewrites the payments read model kept in the store" },
	async run(args, ctx) {
		const { readModel } = await ctx.storage();
		const started = performance.now();
		// Pages of 5000: a collection every 100,000 events folded, then every 25,000 rows hashed
		// (hashing the rows grew the heap faster than folding the events did).
		const folding = collecting(20);
		const hashing = collecting(5);
		const { folded, checksum } = await createPaymentsReadModel(readModel).rebuild((phase) =>
			phase === "fold" ? folding() : hashing(),
		);
		const ms = performance.now() - started;
		const payments = await readModel.count();
		if (flag(args, "json")) {
			printJson(ctx.out, { checksum, events: folded, payments, ms: Math.round(ms) });
			return ExitCode.ok;
		}
		ctx.out.line(`checksum ${checksum}`);
		ctx.out.line(
			`rebuilt ${payments} payments from ${folded} events in ${duration(ms)} (${Math.round((folded / Math.max(ms, 1)) * 1000)} events/s)`,
		);
		return ExitCode.ok;
	},
};
