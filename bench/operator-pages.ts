/**
 * `bun bench/operator-pages.ts [--stuck 100,100000] [--background EVENTS]`: how long the
 * console's Stuck page and its search take with few and with many stuck payments in the
 * log, on SQLite and on PostgreSQL (a cluster of its own; skipped, with a line saying so,
 * where PostgreSQL is not installed). Each store gets a realistic log of BACKGROUND events
 * (bench/lib/seedLog.ts: months of applied payments, a few pending) and then N stuck
 * payments, some sent twice, every kind of trouble (test/console/stuckLog.ts); the read
 * model is folded, the service started on the store, and each page asked for over HTTP
 * by a signed-in operator, 40 times after 5 to warm up. Prints one row per (store, N):
 * the median and 95th percentile of each page, in ms. Asserts nothing: the figures are
 * for BENCHMARKS.md ("The Stuck page and search as the backlog grows").
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createPaymentsReadModel } from "../src/projections/payments.ts";
import { defaultSandboxOptions } from "../src/sandbox/defaults.ts";
import { startKnackSandbox } from "../src/sandbox/knack.ts";
import { openStorage } from "../src/storage/open.ts";
import { importStuck, stuckSpecs } from "../test/console/stuckLog.ts";
import { signIn } from "../test/console/support.ts";
import { startHarness } from "../test/support/harness.ts";
import type { TestStore } from "../test/support/store.ts";
import { benchPostgres } from "./lib/instances.ts";
import { seedLog } from "./lib/seedLog.ts";
import { markdownTable, percentile, whole } from "./lib/stats.ts";

const { values } = parseArgs({
	options: { stuck: { type: "string", default: "100,100000" }, background: { type: "string", default: "50000" } },
});
const sizes = (values.stuck as string).split(",").map(Number);
const background = Number(values.background);
const rounds = 40;
const warmup = 5;

/** The pages, each as an operator asks for it; `deep` is the last page but one of the list, reached by its place. */
const pages = (n: number, deep: string) => ({
	"Stuck, page 1": "/admin/stuck",
	"Stuck, last pages": `/admin/stuck?after=${deep}&page=${Math.max(2, Math.ceil(n / 50) - 1)}`,
	"Stuck, app and why": "/admin/stuck?app=SMART_MOBILITY&why=knack-5xx",
	"Stuck, older than a day": "/admin/stuck?age=1d",
	"search, a prefix (list)": "/admin?q=inv2022-1000",
	"search, an invoice (opens it)": "/admin?q=inv2022-100042",
});

type Row = { store: string; stuck: number; events: number; foldSeconds: number; ms: Record<string, number[]> };

/** The log, written and folded before the service starts on it, so the fold is timed alone. */
async function seed(store: TestStore, n: number) {
	const storage = await openStorage({
		databasePath: store.env.DATABASE_PATH ?? "",
		databaseUrl: store.env.DATABASE_URL ?? null,
	});
	try {
		await seedLog(storage, background, { endAt: Date.now() - 86_400_000 * 200 });
		const specs = stuckSpecs(n, { firstId: 90_000_000 });
		await importStuck(storage, specs);
		const started = performance.now();
		await createPaymentsReadModel(storage.readModel).catchUp();
		return { specs, foldSeconds: (performance.now() - started) / 1000 };
	} finally {
		await storage.close();
	}
}

async function measure(kind: "sqlite" | "postgres", store: TestStore, n: number): Promise<Row> {
	const { specs, foldSeconds } = await seed(store, n);
	const sandbox = startKnackSandbox(defaultSandboxOptions());
	const h = await startHarness({ store, sandbox, env: { ADMIN_TOKEN: "console-test-admin-token" } });
	try {
		const storage = h.service.storage;
		const before = specs[Math.max(0, n - 51)] as (typeof specs)[number];
		const operator = await signIn(h);
		const ms: Record<string, number[]> = {};
		for (const [name, path] of Object.entries(pages(n, `${before.receivedAt}.${before.citybaseId}`))) {
			ms[name] = [];
			for (let i = 0; i < warmup + rounds; i++) {
				const t = performance.now();
				const response = await operator.get(path);
				await response.arrayBuffer();
				if (response.status !== 200 && response.status !== 303) throw new Error(`${path}: ${response.status}`);
				if (i >= warmup) ms[name].push(performance.now() - t);
			}
		}
		return { store: kind, stuck: n, events: await storage.events.lastSeq(), foldSeconds, ms };
	} finally {
		await h.stop();
		await sandbox.stop();
	}
}

const dir = mkdtempSync(join(tmpdir(), "citybase-bench-pages-"));
const rows: Row[] = [];
try {
	for (const n of sizes) {
		const path = join(dir, `stuck-${n}.sqlite`);
		const store: TestStore = { kind: "sqlite", env: { DATABASE_PATH: path }, path, drop: async () => {} };
		rows.push(await measure("sqlite", store, n));
		console.log(`sqlite, ${whole(n)} stuck: done`);
	}
	const postgres = await benchPostgres();
	if (postgres) {
		try {
			for (const n of sizes) {
				const url = await postgres.createDatabase();
				const store: TestStore = { kind: "postgres", env: { DATABASE_URL: url }, path: null, drop: async () => {} };
				rows.push(await measure("postgres", store, n));
				console.log(`postgres, ${whole(n)} stuck: done`);
			}
		} finally {
			await postgres.stop();
		}
	}
} finally {
	rmSync(dir, { recursive: true, force: true });
}

const names = Object.keys(pages(0, ""));
const cell = (samples: number[] | undefined) =>
	samples ? `${percentile(samples, 50).toFixed(1)} / ${percentile(samples, 95).toFixed(1)}` : "-";
console.log();
console.log("Each page: median / 95th percentile, ms, over HTTP from a signed-in operator.");
console.log(
	markdownTable(
		["store", "stuck payments", "events in the log", "read model folded in (whole log)", ...names],
		rows.map((r) => [
			r.store,
			whole(r.stuck),
			whole(r.events),
			`${r.foldSeconds.toFixed(1)} s`,
			...names.map((name) => cell(r.ms[name])),
		]),
	),
);
