import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { EventTypes, type OperatorActionData } from "../../src/events/types.ts";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { startKnackSandbox } from "../../src/sandbox/knack.ts";
import type { OperatorJob, Storage } from "../../src/storage/storage.ts";
import { knackWrites } from "../cli/support.ts";
import { appIds, startHarness } from "../support/harness.ts";
import { freshStore, type TestStore } from "../support/store.ts";
import { importStuck, type StuckSpec, stuckSpecs } from "./stuckLog.ts";
import { csrfOf, signIn } from "./support.ts";

/**
 * Retry all shown survives the request and the instance: the job runs on the server
 * whatever the browser does, and an instance that stops midway leaves it for another
 * (or itself, restarted) to finish. Whoever finishes it, each payment's writes reach Knack
 * once, and its audit is in the log once. Two services on one store, one after the other,
 * stand for two instances; the sandbox outlives both.
 */

const sandbox = startKnackSandbox(defaultSandboxOptions());
let store: TestStore;

beforeAll(async () => {
	store = await freshStore();
});
afterAll(async () => {
	await store?.drop();
	await sandbox.stop();
});
beforeEach(() => {
	sandbox.clearFaults();
	sandbox.clearCalls();
});

/** Street Banner payments with records of their own, so the call log tells their writes apart. */
function payments(firstId: number, count: number): StuckSpec[] {
	return stuckSpecs(count, { firstId }).map((spec) => ({
		...spec,
		app: "STREET_BANNER",
		deadLettered: false,
		knackStatus: 503,
		records: {
			transaction: `5f${String(spec.citybaseId).padStart(22, "0")}`,
			reservation: `5e${String(spec.citybaseId).padStart(22, "0")}`,
		},
	}));
}

function seedRecords(specs: StuckSpec[]) {
	for (const { records } of specs) {
		sandbox.put(appIds.STREET_BANNER, "object_180", { id: records?.transaction, field_3352: "INVOICED" });
		sandbox.put(appIds.STREET_BANNER, "object_161", { id: records?.reservation, field_2796: "Pending Payment" });
	}
}

/** Each payment's missing writes, once each. */
function expectedWrites(specs: StuckSpec[]): string[] {
	return specs
		.flatMap(({ status, records }) => [
			...(status === "successful" ? [`PUT object_161/${records?.reservation}`] : []),
			`PUT object_180/${records?.transaction}`,
		])
		.sort();
}

const start = (env: Record<string, string> = {}) =>
	startHarness({
		store,
		sandbox,
		env: { ADMIN_TOKEN: "console-test-admin-token", CLAIM_LEASE_SECONDS: "2", POSTBACK_DEADLINE_SECONDS: "1", ...env },
	});

async function until(storage: Storage, id: string, done: (job: OperatorJob) => boolean): Promise<OperatorJob> {
	for (let i = 0; i < 300; i++) {
		const job = await storage.jobs.get(id);
		if (job && done(job)) return job;
		await Bun.sleep(50);
	}
	throw new Error(`job ${id} never got there: ${JSON.stringify(await storage.jobs.get(id))}`);
}

async function retryAllAudits(storage: Storage, job: string): Promise<OperatorActionData[]> {
	const found: OperatorActionData[] = [];
	for await (const e of storage.events.range(1, await storage.events.lastSeq())) {
		if (e.type === EventTypes.operatorAction && e.data.job === job) {
			found.push(e.data);
		}
	}
	return found;
}

describe("Retry all shown as a job on the server", () => {
	test("confirmed over HTTP, it runs on after the answer; its page shows how far it got, and it finishes", async () => {
		const h = await start();
		try {
			const specs = payments(71_000_000, 4);
			seedRecords(specs);
			await importStuck(h.service.storage, specs);
			const operator = await signIn(h);
			const ids = specs.map((s) => s.citybaseId).join(",");
			const confirm = await (await operator.get(`/admin/stuck/retry?payments=${ids}&page=1`)).text();
			expect(confirm).toContain("Retry 4 payments?");
			expect(knackWrites(h)).toEqual([]);
			sandbox.inject({ method: "PUT", delayMs: 150, times: Number.POSITIVE_INFINITY });
			const started = await operator.post("/admin/stuck/retry", {
				csrf: csrfOf(confirm),
				confirm: "yes",
				payments: ids,
				page: "1",
			});
			expect(started.status).toBe(303);
			const path = started.headers.get("location") as string;
			expect(path).toMatch(/^\/admin\/jobs\/[\w-]+$/);
			// Answered before the work is done: the page says it runs, and how far.
			expect(await (await operator.get(path)).text()).toMatch(/Running on the server: [0-3] of 4 done/);
			const job = await until(h.service.storage, path.split("/").at(-1) as string, (j) => j.state !== "running");
			expect(job).toMatchObject({
				state: "finished",
				who: "Ana Ruiz",
				by: "console",
				payments: specs.map((s) => s.citybaseId),
			});
			expect(Object.values(job.results).map((r) => r.state)).toEqual(["done", "done", "done", "done"]);
			expect(await (await operator.get(path)).text()).toContain(
				"Finished: every payment it covers is complete in Knack.",
			);
			expect(knackWrites(h).sort()).toEqual(expectedWrites(specs));
			expect(await retryAllAudits(h.service.storage, job.id)).toHaveLength(1);
		} finally {
			await h.stop();
		}
	}, 60_000);

	test("an instance that stops midway leaves the job; the next one finishes it, each write once, audited once", async () => {
		const specs = payments(72_000_000, 6);
		seedRecords(specs);
		sandbox.inject({ method: "PUT", delayMs: 200, times: Number.POSITIVE_INFINITY });
		const first = await start();
		let job: OperatorJob;
		try {
			await importStuck(first.service.storage, specs);
			job = await first.service.jobs.startRetryAll(
				{ who: "Bo Chen", by: "console" },
				"Retry all shown: 6 payments",
				specs.map((s) => s.citybaseId),
			);
			await until(first.service.storage, job.id, (j) => Object.keys(j.results).length >= 2);
		} finally {
			await first.stop();
		}
		const left = await (async () => {
			const second = await start();
			try {
				return await until(second.service.storage, job.id, (j) => j.state === "finished").then(async (done) => ({
					done,
					audits: await retryAllAudits(second.service.storage, job.id),
				}));
			} finally {
				await second.stop();
			}
		})();
		expect(Object.keys(left.done.results)).toHaveLength(6);
		expect(left.done.holder).not.toBe(job.holder);
		expect(knackWrites(first).sort()).toEqual(expectedWrites(specs));
		expect(left.audits).toEqual([
			expect.objectContaining({ who: "Bo Chen", action: "retry-all", payments: specs.map((s) => s.citybaseId) }),
		]);
	}, 60_000);

	test("a job whose holder died before its audit was recorded is taken over, audited once, and done", async () => {
		const specs = payments(73_000_000, 2);
		seedRecords(specs);
		const h = await start();
		try {
			await importStuck(h.service.storage, specs);
			const id = "died-before-its-audit";
			await h.service.storage.jobs.create({
				id,
				who: "Cy Park",
				by: "console",
				what: "Retry all shown: 2 payments",
				payments: specs.map((s) => s.citybaseId),
				createdAt: Date.now() - 10_000,
				state: "running",
				results: {},
				note: null,
				holder: "an-instance-that-died",
				leaseUntil: Date.now() - 1,
				auditFrom: await h.service.storage.events.lastSeq(),
				audited: false,
				finishedAt: null,
			});
			// The runner looks for orphans every lease (2 s here).
			const done = await until(h.service.storage, id, (j) => j.state === "finished");
			expect(done.audited).toBe(true);
			expect(await retryAllAudits(h.service.storage, id)).toEqual([
				expect.objectContaining({ who: "Cy Park", action: "retry-all", result: "started for 2 payments" }),
			]);
			expect(knackWrites(h).sort()).toEqual(expectedWrites(specs));
		} finally {
			await h.stop();
		}
	}, 60_000);
});
