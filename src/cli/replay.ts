import { eq } from "drizzle-orm";
import { checkpoints } from "../projections/schema.ts";
import { type Command, ExitCode, flag, jsonOption } from "./command.ts";
import type { CliContext } from "./context.ts";
import { callLine, plannedCalls } from "./dryRun.ts";
import { type Assessment, assess, type StatusHistory } from "./history.ts";
import { counted, isoTime, JsonArray, localTime, truncate } from "./output.ts";
import { createProgress } from "./progress.ts";
import { currentClaims } from "./queries.ts";
import { createReplayer, type StatusOutcome } from "./replayer.ts";
import {
	describeSelection,
	parseSelection,
	type Selection,
	selectedStatuses,
	selectionOptions,
	selectionSize,
} from "./selection.ts";

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
		const selection = parseSelection(args, () => ctx.store());
		const force = flag(args, "force");
		const json = flag(args, "json");
		if (flag(args, "dry-run")) return dryRun(ctx, selection, force, json);
		ctx.knack(); // missing credentials are said before anything is asked
		const what = `replay ${describeSelection(selection)}${force ? " --force" : ""}`;
		if (!(await ctx.confirmKnackWrites(what, flag(args, "yes")))) {
			ctx.note("cancelled: nothing was sent to Knack");
			return ExitCode.failed;
		}
		return replayForReal(ctx, selection, { force, json, restart: flag(args, "restart") });
	},
};

/** Lets the event loop run now and then, so Ctrl-C and a slow stdout are noticed in a long synchronous scan. */
const breather = () => new Promise<void>((resolve) => setImmediate(resolve));

async function dryRun(ctx: CliContext, selection: Selection, force: boolean, json: boolean): Promise<number> {
	const store = ctx.store();
	const fieldMap = ctx.fieldMap();
	const singular = selection.kind !== "range";
	const progress = createProgress(ctx.io, "dry run", selectionSize(ctx.database(), store, selection), "deliveries");
	const list = json ? new JsonArray(ctx.out) : null;
	let statuses = 0;
	let calls = 0;
	let nothing = 0;
	let sinceBreather = 0;
	const claims = currentClaims(ctx.database());
	for (const { history, scanned } of selectedStatuses(ctx.database(), store, selection)) {
		const a = assess(history, fieldMap);
		const claim = claims.get(`${history.citybaseId}:${history.status}`);
		const planned = plannedCalls(a, {
			force,
			fieldMap,
			inheritedClaim: claim !== undefined && claim.expiresAt <= Date.now(),
		});
		calls += planned.length;
		if (planned.length > 0) statuses++;
		else nothing++;
		if (list) {
			list.push({ ...statusJson(history, a), calls: planned });
		} else if (planned.length > 0) {
			ctx.out.line(statusHeading(history, a));
			if (claim && claim.expiresAt > Date.now()) {
				ctx.out.line(`  (being applied right now by ${claim.holder}: a replay would wait for it)`);
			}
			for (const call of planned) ctx.out.line(`  ${callLine(call)}`);
		} else if (singular) {
			ctx.out.line(`payment ${history.citybaseId} ${history.status}: nothing unfinished`);
		}
		progress.tick(scanned);
		sinceBreather += scanned;
		if (sinceBreather >= 1000) {
			sinceBreather = 0;
			await ctx.out.drain();
			await breather();
			if (ctx.io.signal?.aborted) break;
		}
	}
	list?.end();
	const interrupted = ctx.io.signal?.aborted === true;
	progress.done(!interrupted);
	ctx.note(
		`dry run${force ? " (--force)" : ""}: ${counted(calls, "Knack call")} for ${counted(statuses, "payment status", "payment statuses")}; ${nothing} with nothing unfinished${interrupted ? "; interrupted" : ""}. No Knack call was made.`,
	);
	return interrupted ? ExitCode.interrupted : ExitCode.ok;
}

interface RealOptions {
	force: boolean;
	json: boolean;
	restart: boolean;
}

async function replayForReal(ctx: CliContext, selection: Selection, options: RealOptions): Promise<number> {
	const store = ctx.store();
	const signal = ctx.io.signal;
	const replayer = createReplayer(ctx, signal);
	const cursor = options.force ? replayCursor(ctx, `replay --force ${describeSelection(selection)}`) : null;
	if (cursor && options.restart) cursor.clear();
	const resumeAfter = cursor?.read() ?? 0;
	if (resumeAfter > 0)
		ctx.note(`resuming the forced replay that stopped after log position ${resumeAfter} (--restart to start over)`);

	const progress = createProgress(ctx.io, "replay", selectionSize(ctx.database(), store, selection), "deliveries");
	const list = options.json ? new JsonArray(ctx.out) : null;
	const tally = { done: 0, written: 0, failed: 0, nothing: 0 };
	let interrupted = false;
	// Once a status fails, the cursor stays before it, so the same command tries it again.
	let clean = true;
	let sinceBreather = 0;
	for (const { history, position, scanned } of selectedStatuses(ctx.database(), store, selection)) {
		if (position <= resumeAfter) {
			progress.tick(scanned);
			continue;
		}
		if (signal?.aborted) {
			interrupted = true;
			break;
		}
		const outcome = await replayer.replayStatus(history, options.force);
		progress.tick(scanned);
		if (outcome.state === "interrupted") {
			interrupted = true;
			report(ctx, list, history, outcome, progress.note);
			break;
		}
		if (outcome.state === "done") {
			tally.done++;
			tally.written += outcome.performed;
		} else if (outcome.state === "failed") {
			tally.failed++;
			clean = false;
		} else {
			tally.nothing++;
		}
		if (clean) cursor?.write(position);
		if (outcome.state !== "nothing" || selection.kind !== "range") report(ctx, list, history, outcome, progress.note);
		sinceBreather += scanned;
		if (sinceBreather >= 1000) {
			sinceBreather = 0;
			await ctx.out.drain();
			await breather();
		}
	}
	list?.end();
	progress.done(!interrupted);
	if (cursor && !interrupted && clean) cursor.clear();
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

function statusHeading(history: StatusHistory, a: Assessment): string {
	const p = a.delivery.payment;
	return `payment ${history.citybaseId} ${history.status} · ${p.app} · invoice ${p.invoice} · delivery ${a.delivery.deliverySeq}, recorded ${localTime(a.delivery.receivedAt)} (Austin)`;
}

function statusJson(history: StatusHistory, a: Assessment) {
	return {
		citybaseId: history.citybaseId,
		status: history.status,
		invoice: a.delivery.payment.invoice,
		app: a.delivery.payment.app,
		deliverySeq: a.delivery.deliverySeq,
		recordedAt: isoTime(a.delivery.receivedAt),
	};
}

/**
 * Where an interrupted forced replay stopped, kept with the read model checkpoints: a
 * forced replay would otherwise redo every write from the start.
 */
function replayCursor(ctx: CliContext, name: string) {
	const { db } = ctx.database();
	return {
		read: () => db.select().from(checkpoints).where(eq(checkpoints.name, name)).get()?.position ?? 0,
		write(position: number) {
			db.insert(checkpoints)
				.values({ name, position })
				.onConflictDoUpdate({ target: checkpoints.name, set: { position } })
				.run();
		},
		clear() {
			db.delete(checkpoints).where(eq(checkpoints.name, name)).run();
		},
	};
}
