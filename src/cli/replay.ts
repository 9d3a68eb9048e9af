import type { DeliveryState, StatusHistory } from "../application/operator/history.ts";
import { type DryRunStatus, dryRunReplay, runReplay } from "../application/operator/replay.ts";
import type { StatusOutcome } from "../application/operator/replayer.ts";
import { type Selection, selectionSize } from "../application/operator/selection.ts";
import { truncate } from "../application/operator/text.ts";
import { callLine } from "./callLine.ts";
import { type Command, flag, jsonOption } from "./command.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./io.ts";
import { counted, isoTime, JsonArray, localTime } from "./output.ts";
import { createProgress } from "./progress.ts";
import { parseSelection, selectionOptions } from "./selection.ts";

/** `replay`: re-run the Knack projection from the log, for a payment, an invoice, a range or all. */
export const replay: Command = {
	name: "replay",
	summary: "Re-run the Knack projection from the log. By default, finish what is unfinished.",
	details: [
		"Each (payment, status) is replayed once, however many deliveries it had, with the date of its delivery",
		"(the oldest not yet applied). --force re-applies every write; inserts are looked up in Knack first, so no",
		"record is duplicated. Ctrl-C stops after the Knack call in flight; run the same command again to continue",
		"(a forced replay resumes where it stopped; --restart starts it over). Writing to the production Knack asks",
		"for confirmation unless --yes. Exit 1 when a payment could not be replayed, 130 when interrupted.",
	].join("\n"),
	options: {
		...selectionOptions,
		force: { type: "boolean", description: "re-apply every write, not only the unfinished ones" },
		"dry-run": { type: "boolean", description: "print the Knack calls it would make, and make none" },
		yes: { type: "boolean", description: "do not ask before writing to the production Knack" },
		restart: { type: "boolean", description: "start an interrupted forced replay over instead of resuming it" },
		...jsonOption,
	},
	positionals: { min: 0, max: 0 },
	async run(args, ctx) {
		const selection = await parseSelection(args, ctx);
		const force = flag(args, "force");
		const json = flag(args, "json");
		if (flag(args, "dry-run")) return dryRun(ctx, selection, force, json);
		return replayForReal(ctx, selection, { force, json, restart: flag(args, "restart"), yes: flag(args, "yes") });
	},
};

/** Lets the event loop run now and then, so Ctrl-C and a slow stdout are noticed in a long synchronous scan. */
const breather = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every 1000 deliveries gone past: let a slow stdout drain, and Ctrl-C be noticed. */
function breathing(ctx: CliContext, tick: (scanned: number) => void) {
	let since = 0;
	return async (scanned: number) => {
		tick(scanned);
		since += scanned;
		if (since < 1000) return;
		since = 0;
		await ctx.out.drain();
		await breather();
	};
}

async function dryRun(ctx: CliContext, selection: Selection, force: boolean, json: boolean): Promise<number> {
	const deps = await ctx.operator();
	const singular = selection.kind !== "range";
	const progress = createProgress(ctx.io, "dry run", await selectionSize(deps.storage, selection), "deliveries");
	const list = json ? new JsonArray(ctx.out) : null;
	const summary = await dryRunReplay(deps, selection, {
		force,
		signal: ctx.io.signal,
		onProgress: breathing(ctx, progress.tick),
		onStatus({ history, assessment, calls, heldBy }: DryRunStatus) {
			if (list) {
				list.push({ ...statusJson(history, assessment.delivery), calls });
			} else if (calls.length > 0) {
				ctx.out.line(statusHeading(history, assessment.delivery));
				if (heldBy) ctx.out.line(`  (being applied right now by ${heldBy}: a replay would wait for it)`);
				for (const call of calls) ctx.out.line(`  ${callLine(call)}`);
			} else if (singular) {
				ctx.out.line(`payment ${history.citybaseId} ${history.status}: nothing unfinished`);
			}
		},
	});
	list?.end();
	progress.done(!summary.interrupted);
	ctx.note(
		`dry run${force ? " (--force)" : ""}: ${counted(summary.calls, "Knack call")} for ${counted(summary.statuses, "payment status", "payment statuses")}; ${summary.nothing} with nothing unfinished${summary.interrupted ? "; interrupted" : ""}. No Knack call was made.`,
	);
	return summary.interrupted ? ExitCode.interrupted : ExitCode.ok;
}

interface RealOptions {
	force: boolean;
	json: boolean;
	restart: boolean;
	yes: boolean;
}

async function replayForReal(ctx: CliContext, selection: Selection, options: RealOptions): Promise<number> {
	const deps = await ctx.operator();
	const progress = createProgress(ctx.io, "replay", await selectionSize(deps.storage, selection), "deliveries");
	const list = options.json ? new JsonArray(ctx.out) : null;
	const run = await runReplay(deps, selection, {
		force: options.force,
		restart: options.restart,
		signal: ctx.io.signal,
		confirm: (what) => ctx.confirmKnackWrites(what, options.yes),
		onResume: (after) =>
			ctx.note(`resuming the forced replay that stopped after log position ${after} (--restart to start over)`),
		onProgress: breathing(ctx, progress.tick),
		onStatus(history, outcome) {
			if (outcome.state !== "nothing" || selection.kind !== "range") report(ctx, list, history, outcome, progress.note);
		},
	});
	if (run.state === "cancelled") {
		ctx.note("cancelled: nothing was sent to Knack");
		return ExitCode.failed;
	}
	list?.end();
	const interrupted = run.state === "interrupted";
	progress.done(!interrupted);
	const { tally } = run;
	ctx.note(
		`replay${options.force ? " --force" : ""}: ${counted(tally.done, "payment status", "payment statuses")} replayed (${counted(tally.written, "Knack write")}), ${tally.failed} failed, ${tally.nothing} with nothing unfinished${
			interrupted ? "; INTERRUPTED: run the same command again to continue" : ""
		}`,
	);
	if (interrupted) return ExitCode.interrupted;
	return tally.failed > 0 ? ExitCode.failed : ExitCode.ok;
}

function report(
	ctx: CliContext,
	list: JsonArray | null,
	history: StatusHistory,
	outcome: StatusOutcome,
	note: (line: string) => void,
): void {
	const name = `payment ${history.citybaseId} ${history.status}`;
	if (list) {
		list.push({ citybaseId: history.citybaseId, status: history.status, ...outcome });
		return;
	}
	switch (outcome.state) {
		case "nothing":
			ctx.out.line(`${name}: nothing unfinished`);
			return;
		case "done":
			ctx.out.line(
				`${name} (delivery ${outcome.deliverySeq}): ${outcome.performed} written${
					outcome.found > 0 ? `, ${outcome.found} found already in Knack` : ""
				}, ${outcome.skipped} already done`,
			);
			for (const warning of outcome.warnings) note(`warning: ${name}: ${warning}`);
			return;
		default:
			ctx.out.line(
				`${name} (delivery ${outcome.deliverySeq}): ${outcome.state.toUpperCase()} ${outcome.status}: ${truncate(outcome.text, 200)}`,
			);
	}
}

function statusHeading(history: StatusHistory, delivery: DeliveryState): string {
	const p = delivery.payment;
	return `payment ${history.citybaseId} ${history.status} · ${p.app} · invoice ${p.invoice} · delivery ${delivery.deliverySeq}, recorded ${localTime(delivery.receivedAt)} (Austin)`;
}

function statusJson(history: StatusHistory, delivery: DeliveryState) {
	return {
		citybaseId: history.citybaseId,
		status: history.status,
		invoice: delivery.payment.invoice,
		app: delivery.payment.app,
		deliverySeq: delivery.deliverySeq,
		recordedAt: isoTime(delivery.receivedAt),
	};
}
