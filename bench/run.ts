/**
 * `bun bench/run.ts [--quick] [--profile]`: the service's throughput, latency, memory and
 * Knack pacing (issue 8), measured end to end: the service and the Knack sandbox run as
 * separate processes and wrk drives the service over HTTP. Every scenario runs in the
 * same command so its figures are comparable; each is repeated and reported as median
 * (min–max). The intake load also runs against one and two instances sharing a SQLite
 * file, and sharing a PostgreSQL database of a cluster the bench starts (skipped, with a
 * line saying so, where PostgreSQL is not installed; required in CI), against services
 * whose store already holds a seeded log of up to 1,000,000 events, and at 1 to 128
 * connections; the last two are also drawn as SVG charts into docs/bench/. `--quick` is
 * one short run of each (a CI smoke: it asserts nothing about speed; its charts go to the
 * run's temp folder). `--only a,b` runs just the scenarios whose name contains a or b
 * (`--only "connections sweep,seeded log"`: the two charted ones).
 * `--profile` instead profiles the service under the intake load (see BENCHMARKS.md).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PostgresServer } from "../test/support/postgres.ts";
import { writeCharts } from "./lib/benchCharts.ts";
import { benchPostgres, instancesRun, type StoreKind } from "./lib/instances.ts";
import { logSizeReport, logSizeRuns } from "./lib/logSize.ts";
import { killAll, repoRoot } from "./lib/processes.ts";
import { profileIntake } from "./lib/profile.ts";
import {
	burstRun,
	coldStartRun,
	liveBesideReplayRun,
	loadRun,
	outcomeRun,
	type Sample,
	storeRun,
} from "./lib/scenarios.ts";
import { type Sandbox, startSandbox } from "./lib/stack.ts";
import { fixed, markdownTable, median, percent, spread, whole } from "./lib/stats.ts";
import { writeBodyTemplate, wrkAvailable, wrkInstallHint } from "./lib/wrk.ts";

const { values: args } = parseArgs({
	options: {
		quick: { type: "boolean", default: false },
		profile: { type: "boolean", default: false },
		only: { type: "string" },
	},
});
const quick = args.quick;
/** `--only a,b`: just the scenarios whose name contains one of them (see BENCHMARKS.md) */
const only = args.only?.split(",").map((o) => o.trim());
const wanted = (name: string) => !only || only.some((o) => name.includes(o));

if (!wrkAvailable()) {
	console.error(wrkInstallHint);
	if (quick) {
		console.log("bench smoke skipped: wrk is not installed");
		process.exit(0);
	}
	process.exit(1);
}

const plan = quick
	? {
			runs: 1,
			warmupSeconds: 0,
			seconds: 2,
			burst: 20,
			longBurstRuns: 0,
			storeSeconds: 1,
			logged: 1000,
			coldStarts: 1,
			liveSeconds: 4,
			replayed: 40,
			// Both already measured for the rows before; more points would lengthen the CI smoke.
			sweep: [8, 64],
			logSizes: [0, 20_000],
		}
	: {
			runs: 3,
			warmupSeconds: 1,
			seconds: 5,
			burst: 200,
			longBurstRuns: 2,
			storeSeconds: 3,
			logged: 10_000,
			coldStarts: 5,
			liveSeconds: 20,
			replayed: 400,
			sweep: [1, 4, 8, 16, 64, 128],
			logSizes: [0, 100_000, 1_000_000],
		};
const scrapes = 20;
const outcomeCalls = 100;
const logSizeName = "intake, Knack 0 ms, 64 conn, on a seeded log";
const bareRuntimeName = "intake, Knack 0 ms, 64 conn, without the Dockerfile's JavaScriptCore settings";
/** KNACK_RATE_LIMIT high enough never to be what limits a run */
const uncapped = 1_000_000;
const knackCap = 10;
const longDeadlineSeconds = 90;

const flask = { perSecond: 332, p99Ms: "59–79", knackBoundPerSecond: 49, peakRssMiB: 146 };
/** Issue 16's: ratios to Flask's figures or costs per postback, so that they hold on another day's machine. */
const targets = {
	intake64VsFlask: 12,
	p99At8: 6,
	knackBoundShare: 0.95,
	cpuMsPerPostback: 0.5,
	peakRssVsFlask: 0.5,
	busy: 0.9,
};
/** 64 connections, three Knack calls in turn of 50 ms each */
const knackBoundCeiling = 64 / (3 * 0.05);

const dir = mkdtempSync(join(tmpdir(), "citybase-bench-"));
const sandboxes: Sandbox[] = [];
let postgres: PostgresServer | null = null;
const cleanUp = async () => {
	await Promise.all(sandboxes.map((s) => s.child.stop()));
	await postgres?.stop();
	killAll();
	rmSync(dir, { recursive: true, force: true });
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		killAll();
		rmSync(dir, { recursive: true, force: true });
		process.exit(130);
	});
}

async function repeat(name: string, runs: number, run: (i: number) => Promise<Sample> | Sample): Promise<Sample[]> {
	const samples: Sample[] = [];
	for (let i = 0; i < runs; i++) {
		process.stderr.write(`${name}: run ${i + 1}/${runs}…\n`);
		samples.push(await run(i));
	}
	return samples;
}

async function main(): Promise<void> {
	const bodyFile = writeBodyTemplate(dir);
	const fast = await startSandbox(dir, { latencyMs: 0 });
	sandboxes.push(fast);
	if (args.profile) {
		await profileIntake({
			dir,
			sandbox: fast,
			bodyFile,
			connections: 64,
			seconds: 10,
			settings: { rateLimit: uncapped },
		});
		return;
	}
	const slow = await startSandbox(dir, { latencyMs: 50 });
	const capped = await startSandbox(dir, { latencyMs: 50, rateLimit: knackCap });
	sandboxes.push(slow, capped);
	const load = (sandbox: Sandbox, connections: number) => () =>
		loadRun({ dir, sandbox, bodyFile, connections, ...plan, settings: { rateLimit: uncapped } });

	const rows: [string, Sample[]][] = [];
	const measure = async (name: string, runs: number, run: (i: number) => Promise<Sample> | Sample) => {
		if (!wanted(name)) return [];
		const samples = await repeat(name, runs, run);
		rows.push([name, samples]);
		return samples;
	};
	// Latency against connections; its 8 and 64 are the rows the targets below are read from. The
	// connection counts take turns run by run, so a busy spell of the machine does not fall on one alone.
	const sweepRow = (connections: number) => `intake, Knack 0 ms, ${connections} conn`;
	const sweep = plan.sweep
		.filter((c) => wanted(sweepRow(c)) || wanted("connections sweep"))
		.map((connections) => ({ connections, samples: [] as Sample[] }));
	for (let i = 0; i < plan.runs; i++) {
		for (const point of sweep) {
			process.stderr.write(`${sweepRow(point.connections)}: run ${i + 1}/${plan.runs}…\n`);
			point.samples.push(await load(fast, point.connections)());
		}
	}
	for (const point of sweep) rows.push([sweepRow(point.connections), point.samples]);
	const intake8 = sweep.find((p) => p.connections === 8)?.samples ?? [];
	const intake64 = sweep.find((p) => p.connections === 64)?.samples ?? [];
	const instanceRow = (store: StoreKind, instances: number) =>
		`intake, Knack 0 ms, 64 conn, ${store}, ${instances} instance${instances > 1 ? "s" : ""}`;
	const postgresAppendRow = "store: appendDelivery, 16 in flight, postgres";
	postgres =
		wanted(instanceRow("postgres", 1)) || wanted(instanceRow("postgres", 2)) || wanted(postgresAppendRow)
			? await benchPostgres()
			: null;
	const stores: StoreKind[] = postgres ? ["sqlite", "postgres"] : ["sqlite"];
	for (const store of stores) {
		for (const instances of [1, 2]) {
			await measure(instanceRow(store, instances), plan.runs, () =>
				instancesRun({
					dir,
					sandbox: fast,
					bodyFile,
					store,
					instances,
					connections: 64,
					warmupSeconds: plan.warmupSeconds,
					seconds: plan.seconds,
					postgres,
					rateLimit: uncapped,
				}),
			);
		}
	}
	// The same load without the Dockerfile's BUN_JSC_* settings, for what they change in memory and CPU.
	if (!quick) {
		await measure(bareRuntimeName, plan.runs, () =>
			loadRun({
				dir,
				sandbox: fast,
				bodyFile,
				connections: 64,
				...plan,
				settings: { rateLimit: uncapped, bareRuntime: true },
			}),
		);
	}
	const bound = await measure("Knack-bound, Knack 50 ms, 64 conn", plan.runs, load(slow, 64));
	const burst = (deadlineSeconds?: number) => () =>
		burstRun({ dir, sandbox: capped, postbacks: plan.burst, cap: knackCap, deadlineSeconds });
	const bursts = [
		...(await measure(`burst ${plan.burst}, cap ${knackCap}/s, deadline 20 s`, plan.runs, burst())),
		...(await measure(
			`burst ${plan.burst}, cap ${knackCap}/s, deadline ${longDeadlineSeconds} s`,
			plan.longBurstRuns,
			burst(longDeadlineSeconds),
		)),
	];
	// Live payments at 2 a second (6 Knack calls a second) under the 10/s cap, alone and beside a replay.
	const live = (replayed: number) => () =>
		liveBesideReplayRun({ dir, sandbox: capped, cap: knackCap, pace: 2, seconds: plan.liveSeconds, replayed });
	const liveAlone = await measure("live 2/s, cap 10/s, alone", plan.runs, live(0));
	const liveBeside = await measure(
		`live 2/s, cap 10/s, beside replay --force of ${whole(plan.replayed)} payments`,
		plan.runs,
		live(plan.replayed),
	);
	await measure("store: appendDelivery, 1 in flight", plan.runs, (i) => storeRun(dir, plan.storeSeconds, 1, i));
	await measure("store: appendDelivery, 64 in flight", plan.runs, (i) => storeRun(dir, plan.storeSeconds, 64, i));
	if (postgres) {
		const server = postgres;
		await measure(postgresAppendRow, plan.runs, async (i) =>
			storeRun(dir, plan.storeSeconds, 16, i, await server.createDatabase()),
		);
	}
	await measure(`store: recordOutcomes, ${whole(plan.logged)} deliveries logged`, plan.runs, (i) =>
		outcomeRun(dir, plan.logged, outcomeCalls, i),
	);
	const cold = await measure("cold start to first GET / 200", plan.coldStarts, () => coldStartRun(dir, fast.apiUrl));
	const logSizes = wanted(logSizeName)
		? await logSizeRuns({
				dir,
				sandbox: fast,
				sizes: plan.logSizes,
				runs: plan.runs,
				scrapes,
				load: (store) =>
					loadRun({ dir, sandbox: fast, bodyFile, connections: 64, ...plan, settings: { rateLimit: uncapped, store } }),
			})
		: [];
	for (const r of logSizes) rows.push([`${logSizeName} of ${whole(r.seeded)} events`, r.load]);

	const table = rows
		.filter(([, samples]) => samples.length > 0)
		.map(([name, samples]) => [
			name,
			column(samples, (s) => s.perSecond, whole),
			column(samples, (s) => s.p50Ms, fixed(1)),
			column(samples, (s) => s.p99Ms, fixed(1)),
			column(samples, (s) => s.callsPerPostback, fixed(2)),
			column(samples, (s) => s.peakRssMiB, fixed(0)),
			column(samples, (s) => s.serviceCores, percent),
			column(samples, (s) => s.cpuMsPerPostback, fixed(1)),
			column(samples, (s) => s.sandboxCores, percent),
			notes(samples).join("; "),
		]);
	console.log(
		markdownTable(
			[
				"scenario",
				"per s",
				"p50 ms",
				"p99 ms",
				"Knack calls/postback",
				"svc peak RSS MiB",
				"svc CPU",
				"svc CPU ms/postback",
				"sandbox CPU",
				"notes",
			],
			table,
		),
	);
	console.log(
		`\n${plan.runs} runs per scenario (cold start: ${plan.coldStarts}, long-deadline burst: ${plan.longBurstRuns}); median (min–max). ` +
			"per s: postbacks answered per second (two instances: the sum of both wrk processes', 32 connections each, and p50/p99 the slower instance's; burst: postbacks answered 200 ÷ drain time; store rows: appends, or outcome transactions timed alone, per second). " +
			"CPU: share of one core over the measured window. Other work on this machine makes every figure noisy; CPU ms/postback least.",
	);
	if (logSizes.length > 0) {
		console.log(
			`\n${logSizeName}, against the events already in the log (/metrics: median of ${scrapes} GETs on the seeded service, idle):\n`,
		);
		console.log(logSizeReport(logSizes, plan.logSizes.at(-1) as number));
	}
	// docs/bench is redrawn only by a run that measured both charted scenarios in full: CI's
	// smoke and a run of a few rows (--only) draw into the run's temp folder, so the tree keeps
	// the full run's charts.
	const complete = !quick && (!only || (wanted("connections sweep") && wanted(logSizeName)));
	const charts = writeCharts(
		complete ? join(repoRoot, "docs", "bench") : dir,
		sweep,
		logSizes,
		quick ? ", --quick" : "",
	);
	if (charts.length > 0) console.log(`\ncharts: ${charts.join(", ")}`);
	if (quick) {
		console.log("bench smoke done (--quick: one short run each, figures not comparable with a full run)");
		return;
	}
	if (only) return;

	const med = (samples: Sample[], pick: (s: Sample) => number | undefined) =>
		median(samples.map((s) => pick(s) ?? Number.NaN).filter(Number.isFinite));
	// The service as deployed: the baseline row without the Dockerfile's settings does not count.
	const peakRss = Math.max(
		...rows.filter(([name]) => name !== bareRuntimeName).flatMap(([, s]) => s.map((x) => x.peakRssMiB ?? 0)),
	);
	const i64 = med(intake64, (s) => s.perSecond);
	const cpu64 = med(intake64, (s) => s.cpuMsPerPostback);
	const i8 = med(intake8, (s) => s.perSecond);
	const p99At8 = med(intake8, (s) => s.p99Ms);
	const kb = med(bound, (s) => s.perSecond);
	const longBursts = bursts.slice(plan.runs);
	const busy = med(longBursts, (s) => (s.knackPerSecond ?? Number.NaN) / knackCap);
	const refused = bursts.reduce((n, s) => n + (s.refused ?? 0), 0);
	const verdict = (ok: boolean) => (ok ? "reached" : "NOT reached");
	console.log(`
Against Flask (same kind of machine): intake ${fixed(1)(i8 / flask.perSecond)}× at 8 conn, ${fixed(1)(i64 / flask.perSecond)}× at 64 conn (Flask ${flask.perSecond}/s); p99 at 8 conn ${fixed(1)(p99At8)} ms vs ${flask.p99Ms} ms; Knack-bound ${fixed(1)(kb / flask.knackBoundPerSecond)}× (Flask ${flask.knackBoundPerSecond}/s); peak RSS ${fixed(0)(peakRss)} MiB vs ${flask.peakRssMiB} MiB (${fixed(2)(peakRss / flask.peakRssMiB)}×).
Targets:
- intake 0 ms / 64 conn ≥ ${targets.intake64VsFlask}× Flask (${whole(targets.intake64VsFlask * flask.perSecond)}/s): ${whole(i64)}/s = ${fixed(1)(i64 / flask.perSecond)}×, ${verdict(i64 >= targets.intake64VsFlask * flask.perSecond)}
- service CPU per postback, 0 ms / 64 conn ≤ ${targets.cpuMsPerPostback} ms: ${fixed(2)(cpu64)} ms, ${verdict(cpu64 <= targets.cpuMsPerPostback)}
- p99 0 ms / 8 conn ≤ ${targets.p99At8} ms: ${fixed(1)(p99At8)} ms, ${verdict(p99At8 <= targets.p99At8)}
- Knack-bound ≥ ${percent(targets.knackBoundShare)} of the ceiling 64 ÷ (3 × 50 ms) ≈ ${whole(knackBoundCeiling)}/s: ${whole(kb)}/s = ${percent(kb / knackBoundCeiling)}, ${verdict(kb >= targets.knackBoundShare * knackBoundCeiling)}
- peak RSS ≤ ${targets.peakRssVsFlask}× Flask's ${flask.peakRssMiB} MiB: ${fixed(0)(peakRss)} MiB = ${fixed(2)(peakRss / flask.peakRssMiB)}×, ${verdict(peakRss <= targets.peakRssVsFlask * flask.peakRssMiB)}
- burst: Knack busy ≥ ${percent(targets.busy)} of the cap (deadline ${longDeadlineSeconds} s) and no 429: ${percent(busy)}, ${refused}×429, ${verdict(busy >= targets.busy && refused === 0)}
- cold start (median of ${plan.coldStarts}): ${fixed(0)(med(cold, (s) => s.p50Ms))} ms
- live p50 beside a forced replay ≤ alone + 1 s: ${fixed(0)(med(liveBeside, (s) => s.p50Ms))} ms vs ${fixed(0)(med(liveAlone, (s) => s.p50Ms))} ms alone, ${verdict(med(liveBeside, (s) => s.p50Ms) <= med(liveAlone, (s) => s.p50Ms) + 1000)}`);
}

function column(samples: Sample[], pick: (s: Sample) => number | undefined, format: (n: number) => string): string {
	return spread(
		samples.map((s) => pick(s) ?? Number.NaN),
		format,
	);
}

function notes(samples: Sample[]): string[] {
	const out: string[] = [];
	const has = (pick: (s: Sample) => unknown) => samples.some((s) => pick(s) !== undefined);
	// The sandbox is one JS thread: near a full core, it (not the service) sets the pace.
	if (median(samples.map((s) => s.sandboxCores ?? Number.NaN)) >= 0.85)
		out.push("sandbox ≈ 1 core: likely the bottleneck");
	if (has((s) => s.knackPerSecond)) {
		out.push(
			`Knack 2xx ${column(samples, (s) => s.knackPerSecond, fixed(2))}/s = ${column(samples, (s) => (s.knackPerSecond ?? Number.NaN) / knackCap, percent)} of cap, busiest second ${column(samples, (s) => s.busiestSecond, fixed(0))}`,
		);
	}
	const refused = samples.reduce((n, s) => n + (s.refused ?? 0), 0);
	if (has((s) => s.drainSeconds) || refused > 0) out.push(`${refused}×429 in all runs`);
	if (has((s) => s.drainSeconds)) out.push(`drain ${column(samples, (s) => s.drainSeconds, fixed(1))} s`);
	const statuses = new Set(samples.flatMap((s) => [...(s.failed?.keys() ?? [])]));
	for (const status of statuses) out.push(`${column(samples, (s) => s.failed?.get(status) ?? 0, whole)}×${status}`);
	if (has((s) => s.drainSeconds) && statuses.size === 0) out.push("all 200");
	if (samples.some((s) => (s.socketErrors ?? 0) > 0)) {
		out.push(`socket errors ${column(samples, (s) => s.socketErrors, whole)}`);
	}
	return out;
}

try {
	await main();
} finally {
	await cleanUp();
}
