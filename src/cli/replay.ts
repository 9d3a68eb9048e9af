import type { DeliveryState, StatusHistory } from "../application/operator/history.ts";
import {
	type DryRunStatus,
	dryRunReplay,
	type ReplayCost,
	replayCost,
	runReplay,
} from "../application/operator/replay.ts";
import { outcomeText, type StatusOutcome } from "../application/operator/replayer.ts";
import { type Selection, selectionSize } from "../application/operator/selection.ts";
import { callLine } from "./callLine.ts";
import { asOption, type Command, flag, jsonOption } from "./command.ts";
import type { CliContext } from "./context.ts";
import { collecting } from "./heap.ts";
import { ExitCode } from "./io.ts";
import { counted, duration, isoTime, JsonArray, localTime } from "./output.ts";
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
		"for confirmation unless --yes. Replays take only the Knack calls live payments leave, and stop when an",
		"app's daily quota is down to KNACK_DAILY_RESERVE (exit 75; the same command continues; --wait sleeps until",
		"the reset instead). Exit 1 when a payment could not be replayed, 130 when interrupted.",
		"Every write is recorded under --as NAME (or CITYBASE_OPERATOR, else the OS user); in production one of the",
		"first two is required.",
	].join("\n"),
	options: {
		...selectionOptions,
		force: { type: "boolean", description: "re-apply every write, not only the unfinished ones" },
		"dry-run": { type: "boolean", description: "print the Knack calls it would make, and make none" },
		yes: { type: "boolean", description: "do not ask before writing to the production Knack" },
		restart: { type: "boolean", description: "start an interrupted forced replay over instead of resuming it" },
		wait: { type: "boolean", description: "at the daily quota's reserve, sleep until it resets and go on" },
		...asOption,
		...jsonOption,
	},
	positionals: { min: 0, max: 0 },
	store: { writes: "replay records every Knack call in the log", unlessWith: "dry-run" },
	knack: { calls: { unlessWith: "dry-run" }, writes: { unlessWith: "dry-run" } },
	exits: ["quota"],
	async run(args, ctx) {
		const selection = await parseSelection(args, ctx);
		const force = flag(args, "force");
		const json = flag(args, "json");
		if (flag(args, "dry-run")) return dryRun(ctx, selection, force, json);
		return replayForReal(ctx, selection, {
			force,
			json,
			restart: flag(args, "restart"),
			yes: flag(args, "yes"),
			wait: flag(args, "wait"),
		});
	},
};

/** Lets the event loop run now and then, so Ctrl-C and a slow stdout are noticed in a long synchronous scan. */
const breather = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every 1000 deliveries gone past: let a slow stdout drain, and Ctrl-C be noticed; every 20,000, collect garbage. */
function breathing(ctx: CliContext, tick: (scanned: number) => void) {
	let since = 0;
	const collect = collecting(20);
	return async (scanned: number) => {
		tick(scanned);
		since += scanned;
		if (since < 1000) return;
		since = 0;
		collect();
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
				for (const call of calls) ctx.out.line(`  ${callLine(call, deps.fieldMap)}`);
			} else if (singular) {
				ctx.out.line(`payment ${history.citybaseId} ${history.status}: nothing unfinished`);
			}
		},
	});
	list?.end();
	progress.done(!summary.interrupted);
	for (const cost of await replayCost(deps, summary.perApp)) ctx.note(costLine(cost));
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
	wait: boolean;
}

async function replayForReal(ctx: CliContext, selection: Selection, options: RealOptions): Promise<number> {
	const deps = await ctx.operator();
	const progress = createProgress(ctx.io, "replay", await selectionSize(deps.storage, selection), "deliveries");
	const list = options.json ? new JsonArray(ctx.out) : null;
	const run = await runReplay(deps, selection, {
		force: options.force,
		restart: options.restart,
		wait: options.wait,
		onWait: (resetAt) =>
			progress.note(
				`Knack daily quota at its reserve: waiting until it resets (${resetAt === null ? "in an hour at most" : `${localTime(resetAt)} Austin time`})`,
			),
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
	progress.done(run.state === "finished");
	const { tally } = run;
	const stopped =
		run.state === "quota"
			? `; STOPPED at the Knack daily quota's reserve with ${counted(run.remaining, "payment status", "payment statuses")} left: ${run.text}. Run the same command again after ${run.resetAt === null ? "the reset" : `${localTime(run.resetAt)} Austin time`} (or with --wait)`
			: interrupted
				? "; INTERRUPTED: run the same command again to continue"
				: "";
	ctx.note(
		`replay${options.force ? " --force" : ""}: ${counted(tally.done, "payment status", "payment statuses")} replayed (${counted(tally.written, "Knack write")}), ${tally.failed} failed, ${tally.nothing} with nothing unfinished${stopped}`,
	);
	if (run.state === "quota") return ExitCode.quota;
	if (interrupted) return ExitCode.interrupted;
	return tally.failed > 0 ? ExitCode.failed : ExitCode.ok;
}

/** `STREET_BANNER: 1,203 Knack calls, about 3m (live traffic leaves 7 calls/s); fits in today's quota (8,210 left above the reserve)`. */
function costLine(c: ReplayCost): string {
	const time =
		c.seconds === null
			? `no time estimate: live traffic (${c.liveRate.toFixed(1)} calls/s) leaves no room now`
			: `about ${duration(c.seconds * 1000)} (live traffic leaves ${c.rate} calls/s)`;
	const quota =
		c.available === null
			? "today's remaining quota unknown (Knack has not reported it yet)"
			: c.available >= c.calls
				? `fits in today's quota (${c.available} calls left above the reserve)`
				: `does NOT fit in today's quota: ${c.available} calls left above the reserve; the replay stops there (exit 75) until the reset${c.resetAt === null ? "" : ` at ${localTime(c.resetAt)} Austin time`}`;
	return `${c.app}: ${counted(c.calls, "Knack call")}, ${time}; ${quota}`;
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
	ctx.out.line(
		outcome.state === "nothing"
			? `${name}: ${outcomeText(outcome)}`
			: `${name} (delivery ${outcome.deliverySeq}): ${outcomeText(outcome)}`,
	);
	if (outcome.state === "done") for (const warning of outcome.warnings) note(`warning: ${name}: ${warning}`);
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
