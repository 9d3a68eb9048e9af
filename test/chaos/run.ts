import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StorageConfig } from "../../src/storage/open.ts";
import { checkSandbox, datesBetween, existingRecordIds } from "./check.ts";
import { deliverAll, planDeliveries } from "./citybase.ts";
import { claimsHeldBy, type LogCounts, waitForRecovery } from "./eventlog.ts";
import { injectFaults } from "./faults.ts";
import { ServiceProcess, type ServiceTimings, serviceEnv, startSandbox, stopAll } from "./processes.ts";
import { SandboxControl, seedAll } from "./sandbox.ts";
import { drawPayments, type Payment, random } from "./scenario.ts";
import { type ChaosStore, openChaosStore, type StoreKind } from "./store.ts";

/**
 * The chaos run (issue 3): two service processes over one SQLite file, or three over
 * one PostgreSQL database, the Knack sandbox failing a share of its requests at random,
 * servers `kill -9`ed and restarted while postbacks are in flight, PostgreSQL itself
 * restarted, CityBase redelivering until 200. Then the sandbox must hold exactly what
 * the payments imply: nothing twice, nothing lost.
 */
export interface ChaosOptions {
	store: StoreKind;
	/** pg_ctl restarts of the PostgreSQL server mid-run */
	storeRestarts: number;
	/** distinct (payment, status) postbacks */
	postbacks: number;
	seed: number;
	concurrency: number;
	kills: number;
	/** faults per Knack request */
	faultRate: number;
	/** share of postbacks delivered twice at the same instant, and delivered again after their 200 */
	twice: number;
	again: number;
	maxSeconds: number;
	timings: ServiceTimings;
	/** keep the temporary directory (database, process logs) */
	keep: boolean;
	print: (line: string) => void;
}

export const defaultTimings: ServiceTimings = {
	deadlineSeconds: 2,
	leaseSeconds: 3,
	knackTimeoutSeconds: 0.4,
	recoveryIntervalSeconds: 0.5,
};

export async function runChaos(o: ChaosOptions): Promise<boolean> {
	const dir = mkdtempSync(join(tmpdir(), "citybase-chaos-"));
	const rand = random(o.seed);
	let store: ChaosStore | null = null;
	try {
		store = await openChaosStore(o.store, dir);
		const { restart } = store;
		if (o.storeRestarts > 0 && !restart) {
			throw new Error(`the ${o.store} store cannot be restarted here (only a PostgreSQL cluster this run started)`);
		}
		const sandbox = await startSandbox(dir);
		const control = new SandboxControl(sandbox.controlUrl);
		const payments = drawPayments(o.postbacks, rand);
		await seedAll(control, payments);
		const before = await existingRecordIds(control);

		const env = serviceEnv(store.env, sandbox.url, o.timings);
		const servers = ["a", "b", "c"].slice(0, store.servers).map((name) => new ServiceProcess(name, env, dir));
		// One after the other: two processes creating the same database file at once can fail
		// ("database is locked" from the WAL switch, or both running the migrations).
		for (const server of servers) await server.start();

		const startedAt = Date.now();
		const injector = injectFaults(control, rand, {
			rate: o.faultRate,
			knackTimeoutMs: o.timings.knackTimeoutSeconds * 1000,
		});
		const killer = scheduleChaos(servers, o, rand, store.config, restart);
		const deliveries = await deliverAll(planDeliveries(payments, rand, { twice: o.twice, again: o.again }), {
			servers,
			concurrency: o.concurrency,
			until: startedAt + o.maxSeconds * 1000,
			requestTimeoutMs: (o.timings.deadlineSeconds + 5) * 1000,
			rand,
			onApplied: killer.onApplied,
		});
		const { kills, claimsLeft, storeRestarts } = await killer.done();
		const faults = await injector.stop();
		const deliveredAt = Date.now();
		// Recovery needs a lease to take over what a killed server held, then a few passes.
		const log = await waitForRecovery(store.config, o.timings.leaseSeconds * 1000 + 30_000);
		const finishedAt = Date.now();
		const check = await checkSandbox(control, payments, datesBetween(startedAt, finishedAt), before);
		const calls = await control.stats();

		const p = o.print;
		p(`store: ${o.store}, ${servers.length} servers, ${storeRestarts} restarts of the store`);
		p(`seed ${o.seed}: ${payments.length} payments, ${o.postbacks} postbacks (${caseCounts(payments)})`);
		p(
			`deliveries: ${sum(deliveries.answers)} requests (${entries(deliveries.answers)}); ` +
				`${deliveries.twice} postbacks sent twice at once, ${deliveries.redelivered} sent again after their 200; ` +
				`${kills} kill -9 (leaving ${claimsLeft} claims to take over); ${((deliveredAt - startedAt) / 1000).toFixed(1)} s, recovery ${((finishedAt - deliveredAt) / 1000).toFixed(1)} s more`,
		);
		p(`faults queued: ${sum(faults)} (${entries(faults)})`);
		p(`knack calls: ${calls.total} (${entries(calls.byStatus)})`);
		p(logLine(log));
		for (const [name, t] of Object.entries({
			"messages (one per payment and status)": check.messages,
			"refund records (one per Street Banner refund)": check.refunds,
			"transactions in their final state": check.transactions,
			"reservations in their final state": check.reservations,
		})) {
			p(`${name}: ${t.ok}/${t.expected} ok, ${t.duplicated} duplicated, ${t.missing} missing, ${t.wrong} wrong`);
		}
		p(`records no payment explains: ${check.strays}`);

		const problems = [
			...deliveries.unanswered.map((d) => `never answered 200: ${d}`),
			...servers.flatMap((s) => s.crashes.map((c) => `server ${s.name} exited by itself: ${c}`)),
			...check.problems,
			...(check.strays > 0 ? [`${check.strays} records written that no payment explains`] : []),
			...(log.incomplete > 0 ? [`${log.incomplete} deliveries never applied`] : []),
			...(log.deadLettered > 0 ? [`${log.deadLettered} deliveries dead-lettered`] : []),
			...(log.claims > 0 ? [`${log.claims} claims still held`] : []),
			...(kills < o.kills ? [`only ${kills} of ${o.kills} kills happened`] : []),
			...(storeRestarts < o.storeRestarts
				? [`only ${storeRestarts} of ${o.storeRestarts} store restarts happened`]
				: []),
		];
		for (const problem of problems.slice(0, 30)) p(`  PROBLEM ${problem}`);
		if (problems.length > 30) p(`  ... and ${problems.length - 30} more`);
		// Every Knack request the run made, to trace a failure through (with the database and logs).
		if (o.keep) await Bun.write(join(dir, "knack-calls.json"), JSON.stringify(await control.calls(), null, 1));
		if (o.keep || problems.length > 0) p(`logs and database: ${dir}${o.keep ? "" : " (removed; --keep to keep)"}`);
		p(problems.length === 0 ? "CHAOS PASS" : `CHAOS FAIL (${problems.length} problems)`);
		return problems.length === 0;
	} finally {
		await stopAll();
		await store?.stop();
		if (!o.keep) rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * `kill -9` a server each time another share of the postbacks has been answered, in
 * turn, and restart it after a moment: the others keep serving. The store's restarts
 * fall between the kills, on the same chain, so a server is never started while its
 * database is down: a start that cannot migrate fails, which is a different test.
 */
function scheduleChaos(
	servers: ServiceProcess[],
	o: Pick<ChaosOptions, "kills" | "storeRestarts" | "postbacks">,
	rand: () => number,
	store: StorageConfig,
	restartStore: (() => Promise<void>) | null,
) {
	type Step = "kill" | "restart";
	const total = o.kills + o.storeRestarts;
	// The store's restarts spread among the kills: kill, kill, restart, kill, kill for 4 and 1.
	const restartAt = new Set(
		Array.from({ length: o.storeRestarts }, (_, j) => Math.floor(((j + 1) * total) / (o.storeRestarts + 1))),
	);
	const steps = Array.from({ length: total }, (_, i): Step => (restartAt.has(i) ? "restart" : "kill"));
	const thresholds = steps.map((_, i) => Math.max(1, Math.floor((o.postbacks * (i + 1)) / (steps.length + 1))));
	let chain: Promise<unknown> = Promise.resolve();
	let killed = 0;
	let kills = 0;
	let storeRestarts = 0;
	let claimsLeft = 0;
	return {
		onApplied(applied: number) {
			if (thresholds[0] === undefined || applied < thresholds[0]) return;
			thresholds.shift();
			const step = steps.shift();
			if (step === "restart" && restartStore) {
				chain = chain.then(async () => {
					await restartStore();
					storeRestarts++;
				});
				return;
			}
			const server = servers[killed++ % servers.length] as ServiceProcess;
			chain = chain.then(async () => {
				claimsLeft += await claimsHeldBy(store, await server.kill());
				kills++;
				await Bun.sleep(200 + rand() * 600);
				await server.start();
			});
		},
		/** how many kills and store restarts happened, and how many claims the killed servers left behind */
		async done(): Promise<{ kills: number; claimsLeft: number; storeRestarts: number }> {
			await chain;
			return { kills, claimsLeft, storeRestarts };
		},
	};
}

function logLine(log: LogCounts): string {
	return (
		`event log: ${log.received} deliveries recorded, ${log.incomplete} not applied, ${log.deadLettered} dead-lettered, ` +
		`${log.claims} claims held; ${log.written} Knack writes, ${log.failedAttempts} failed attempts, ` +
		`${log.foundByLookup} inserts found already made by a lookup`
	);
}

function caseCounts(payments: Payment[]): string {
	const counts: Record<string, number> = {};
	for (const p of payments) counts[p.case.name] = (counts[p.case.name] ?? 0) + 1;
	return entries(counts);
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
const entries = (counts: Record<string, number>) =>
	Object.entries(counts)
		.map(([k, v]) => `${k}: ${v}`)
		.join(", ");
