import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { defaultSandboxOptions } from "../src/sandbox/defaults.ts";
import { type KnackSandbox, startKnackSandbox } from "../src/sandbox/knack.ts";
import { appIds } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";
import { spawnService } from "./support/process.ts";
import { freshStore, type TestStore } from "./support/store.ts";

/** SIGTERM: postbacks in flight finish within the grace period; one cut off is finished later, never duplicated. */

const transaction = "5f7000000000000000000001";
let sandbox: KnackSandbox;
const stores: TestStore[] = [];
let nextId = 87_000_000;

beforeAll(() => {
	sandbox = startKnackSandbox(defaultSandboxOptions());
	sandbox.put(appIds.STREET_BANNER, "object_180", { id: transaction });
});
afterAll(async () => {
	await sandbox.stop();
	for (const store of stores) await store.drop();
});
beforeEach(() => {
	sandbox.clearFaults();
	sandbox.clearCalls();
});

/** The store TEST_STORE names, new for each test and dropped at the end. */
async function storeEnv(): Promise<Record<string, string>> {
	const store = await freshStore();
	stores.push(store);
	return store.env;
}

const post = (url: string, body: unknown) =>
	fetch(`${url}/citybase_postback`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(body),
	});

test("a postback in flight when SIGTERM arrives is finished and answered, then the process exits 0", async () => {
	const service = await spawnService(await storeEnv(), sandbox.url);
	sandbox.inject({ method: "PUT", objectKey: "object_180", delayMs: 700 });
	const answer = post(service.url, postback({ id: nextId++, status: "voided", knackRecordId: transaction }));
	await Bun.sleep(200);
	service.process.kill("SIGTERM");
	const response = await answer;
	expect(response.status).toBe(200);
	expect(await service.exited).toBe(0);
	expect(service.lines.some((l) => l.includes('"message":"stopped"'))).toBe(true);
	await expect(fetch(`${service.url}/`)).rejects.toThrow();
});

test("SIGTERM fails readiness first: the server goes on answering postbacks for the drain, then stops", async () => {
	const service = await spawnService({ ...(await storeEnv()), SHUTDOWN_DRAIN_SECONDS: "1.5" }, sandbox.url);
	expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
	const signalled = performance.now();
	service.process.kill("SIGTERM");
	// What a balancer polling readiness reads from the signal on.
	let readiness = await fetch(`${service.url}/readyz`);
	while (readiness.status === 200 && performance.now() - signalled < 1000) {
		readiness = await fetch(`${service.url}/readyz`);
	}
	expect(readiness.status).toBe(503);
	expect(await readiness.json()).toEqual({
		status: "NOT_READY",
		reason: "shutting down: finishing the postbacks in flight",
	});
	// A postback already on its way when the balancer noticed is still recorded and answered.
	const during = await post(service.url, postback({ id: nextId++, status: "voided", knackRecordId: transaction }));
	expect(during.status).toBe(200);
	expect((await fetch(`${service.url}/livez`)).status).toBe(200);
	expect(await service.exited).toBe(0);
	expect(performance.now() - signalled).toBeGreaterThanOrEqual(1500);
	await expect(fetch(`${service.url}/readyz`)).rejects.toThrow();
});

test("a postback cut off by the grace period is left incomplete, and finished after a restart without a duplicate", async () => {
	const env = {
		...(await storeEnv()),
		SHUTDOWN_GRACE_SECONDS: "0.3",
		// Knack's timeout (3 s) is far past the cut (0.3 s after SIGTERM), so no answer,
		// not even a 504, can come before the cut on a slow machine.
		POSTBACK_DEADLINE_SECONDS: "4",
		CLAIM_LEASE_SECONDS: "4.5",
		KNACK_TIMEOUT_SECONDS: "3",
		RECOVERY_INTERVAL_SECONDS: "0.2",
	};
	const id = nextId++;
	const first = await spawnService(env, sandbox.url);
	// The message insert reaches Knack; the transaction update hangs past the grace period.
	sandbox.inject({ method: "PUT", objectKey: "object_180", delayMs: 5000 });
	const answer = post(first.url, postback({ id, status: "voided", knackRecordId: transaction })).then(
		(response) => `answered ${response.status}`,
		(error: { code?: string }) => error.code,
	);
	await Bun.sleep(150);
	first.process.kill("SIGTERM");
	expect(await first.exited).toBe(0);
	// Cut off means no answer at all: the connection is closed, so CityBase retries. Any
	// HTTP answer here (a 200 for writes not done, a 5xx after the grace period) is wrong.
	expect(await answer).toBe("ECONNRESET");
	sandbox.clearFaults();
	const messagesFor = () =>
		sandbox.records(appIds.STREET_BANNER, "object_181").filter((r) => r.field_3378_raw === id || r.field_3378 === id);
	expect(messagesFor()).toHaveLength(1);

	const second = await spawnService(env, sandbox.url);
	const deadline = Date.now() + 10_000;
	while (Date.now() < deadline && !second.lines.some((l) => l.includes("finished by recovery"))) await Bun.sleep(100);
	second.process.kill("SIGTERM");
	await second.exited;
	expect(second.lines.some((l) => l.includes("finished by recovery"))).toBe(true);
	expect(messagesFor()).toHaveLength(1);
	const transactionPuts = sandbox
		.calls()
		.filter((c) => c.method === "PUT" && c.recordId === transaction && c.status === 200);
	expect(transactionPuts.length).toBeGreaterThanOrEqual(1);
});
