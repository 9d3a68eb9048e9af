import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { type KnackSandbox, startKnackSandbox } from "../../src/sandbox/knack.ts";
import { missingDependency } from "../support/dependency.ts";
import { appIds } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";
import { type ServiceProcess, spawnService } from "../support/process.ts";
import { freshStore, notSqlite, type TestStore } from "../support/store.ts";

/**
 * The failures of the health issue, each against a real service process, seen the way
 * a city monitor sees them: by polling `GET /` alone. Each goes wrong, is seen, clears,
 * and is seen cleared; each change of state is logged exactly once however often the
 * monitor polls. Beside it, what a balancer reads from `GET /readyz` in the same fault:
 * not ready only while this instance's store refuses writes, never for Knack or the backlog.
 */

const transaction = "5f7100000000000000000001";
let sandbox: KnackSandbox;
let dir: string;
let nextId = 88_000_000;
const running: ServiceProcess[] = [];
const stores: TestStore[] = [];

beforeAll(() => {
	sandbox = startKnackSandbox(defaultSandboxOptions());
	dir = mkdtempSync(join(tmpdir(), "citybase-health-"));
});
afterAll(async () => {
	for (const service of running) service.process.kill("SIGKILL");
	await Promise.all(running.map((service) => service.exited));
	for (const store of stores) await store.drop();
	await sandbox.stop();
	rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
	sandbox.reset();
	sandbox.put(appIds.STREET_BANNER, "object_180", { id: transaction });
});

/** Short windows and thresholds, so a minute-long outage plays out in seconds. */
const quick = {
	HEALTH_SAMPLE_SECONDS: "0.2",
	HEALTH_KNACK_WINDOW_SECONDS: "2",
	HEALTH_STORE_MIN_FREE_MB: "0",
	RECOVERY_INTERVAL_SECONDS: "0.3",
	POSTBACK_DEADLINE_SECONDS: "1.5",
	CLAIM_LEASE_SECONDS: "2",
	KNACK_TIMEOUT_SECONDS: "1",
	KNACK_RATE_LIMIT: "1000",
};

/** A service on a fresh store (the one TEST_STORE names); `env` may point it elsewhere. */
async function start(env: Record<string, string> = {}) {
	const store = await freshStore();
	stores.push(store);
	const service = await spawnService({ ...store.env, ...quick, ...env }, sandbox.url);
	running.push(service);
	return service;
}

async function stop(service: ServiceProcess) {
	service.process.kill("SIGTERM");
	expect(await service.exited).toBe(0);
}

interface Answer {
	code: number;
	status: string;
	checks: Record<string, { state: string; reason: string; pending?: number }>;
}

async function health(service: ServiceProcess): Promise<Answer> {
	const response = await fetch(`${service.url}/`);
	const body = (await response.json()) as Omit<Answer, "code">;
	return { code: response.status, ...body };
}

/** Generous waits for a state, never for a time. */
async function waitFor<T>(read: () => Promise<T> | T, wanted: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last = await read();
	while (!wanted(last)) {
		if (Date.now() > deadline) throw new Error(`never became what was wanted; last: ${JSON.stringify(last)}`);
		await Bun.sleep(50);
		last = await read();
	}
	return last;
}

async function readiness(service: ServiceProcess): Promise<{ code: number; status: string; reason: string }> {
	const response = await fetch(`${service.url}/readyz`);
	return { code: response.status, ...((await response.json()) as { status: string; reason: string }) };
}

/** Polls `GET /` as a monitor would, until the answer is the one wanted. */
const until = (service: ServiceProcess, wanted: (a: Answer) => boolean) => waitFor(() => health(service), wanted);

/** The states a check was logged changing to, in order. */
function changes(service: ServiceProcess, check: string): string[] {
	return service.lines
		.filter((l) => l.includes('"health_check"'))
		.map((l) => JSON.parse(l) as { health_check: string; health_state: string; level: string })
		.filter((l) => l.health_check === check)
		.map((l) => `${l.level} ${l.health_state}`);
}

const post = (service: ServiceProcess, body: unknown) =>
	fetch(`${service.url}/citybase_postback`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(body),
	});
const voided = (id = nextId++) => postback({ id, status: "voided", knackRecordId: transaction });
const messagesOf = (id: number) =>
	sandbox.records(appIds.STREET_BANNER, "object_181").filter((r) => r.field_3378_raw === id || r.field_3378 === id);

/** Mounts a 2 MiB tmpfs (we run as root, in CI too); null when this machine will not. */
function smallDisk(path: string): { path: string; unmount(): void } | null {
	mkdirSync(path, { recursive: true });
	const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", path]);
	if (mounted.exitCode !== 0) {
		missingDependency("the disk-full scenario", `cannot mount a tmpfs (${mounted.stderr.toString().trim()})`);
		return null;
	}
	return { path, unmount: () => void Bun.spawnSync(["umount", "-l", path]) };
}

test.skipIf(notSqlite)(
	"a full disk under the SQLite file: postbacks and GET / answer 503 naming the store; once space is freed, OK again, and what was cut off is finished",
	async () => {
		const disk = smallDisk(join(dir, "small-disk"));
		if (!disk) return;
		try {
			const service = await start({
				HEALTH_STORE_MIN_FREE_MB: "0.25",
				DATABASE_PATH: join(disk.path, "citybase.sqlite"),
			});
			const filler = join(disk.path, "filler");
			const fill = () => {
				const { bavail, bsize } = statfsSync(disk.path);
				try {
					writeFileSync(filler, new Uint8Array(bavail * bsize));
				} catch (error) {
					if ((error as { code?: string }).code !== "ENOSPC") throw error;
				}
			};
			const before = nextId++;
			expect((await post(service, voided(before))).status).toBe(200);
			await until(service, (a) => a.status === "OK");

			// Full while quiet: the postback is refused before anything is stored.
			fill();
			const refused = nextId++;
			expect((await post(service, voided(refused))).status).toBe(503);
			const failing = await until(service, (a) => a.status === "FAILING");
			expect(failing.code).toBe(503);
			expect(failing.checks.store?.state).toBe("failing");
			expect(failing.checks.store?.reason).toContain("database or disk is full");
			expect(await readiness(service)).toMatchObject({ code: 503, status: "NOT_READY" });
			expect((await readiness(service)).reason).toContain("database or disk is full");
			expect((await post(service, voided(refused))).status).toBe(503);
			// Nothing is pending and nothing is posted: only the service's own probe can see the space come back.
			rmSync(filler);
			expect((await until(service, (a) => a.status === "OK")).code).toBe(200);
			expect(await readiness(service)).toEqual({
				code: 200,
				status: "READY",
				reason: "the event log accepts writes",
			});

			// Full while a postback is at Knack: its writes there are done, their record is not.
			sandbox.inject({ method: "PUT", objectKey: "object_180", delayMs: 500 });
			const cutOff = nextId++;
			const inFlight = post(service, voided(cutOff));
			await waitFor(
				() => sandbox.calls(),
				(calls) => calls.some((c) => c.method === "PUT" && c.status === null),
			);
			fill();
			expect((await inFlight).status).toBe(503);
			expect((await until(service, (a) => a.status === "FAILING")).checks.store?.state).toBe("failing");
			rmSync(filler);
			await until(service, (a) => a.status === "OK" && a.checks.backlog?.pending === 0);
			expect(
				service.lines.some((l) => l.includes("finished by recovery") && l.includes(`"citybase_id":${cutOff}`)),
			).toBe(true);

			// CityBase retries what it was refused; nothing is written to Knack twice.
			for (const id of [refused, cutOff]) expect((await post(service, voided(id))).status).toBe(200);
			for (const id of [before, refused, cutOff]) expect(messagesOf(id)).toHaveLength(1);
			await stop(service);
			expect(changes(service, "store").filter((c) => !c.endsWith("degraded"))).toEqual([
				"error failing",
				"info ok",
				"error failing",
				"info ok",
			]);
		} finally {
			disk.unmount();
		}
	},
);

test("Knack refusing our credentials (401 to every call): FAILING naming Knack credentials, then OK once it answers again", async () => {
	const service = await start();
	await until(service, (a) => a.status === "OK");
	sandbox.inject({ status: 401, times: Infinity, body: { errors: [{ message: "Invalid API key" }] } });
	for (let i = 0; i < 3; i++) expect((await post(service, voided())).status).toBe(401);

	const failing = await until(service, (a) => a.status === "FAILING");
	expect(failing.code).toBe(503);
	expect(failing.checks.knack?.state).toBe("failing");
	expect(failing.checks.knack?.reason).toContain("STREET_BANNER: Knack refused our credentials (401)");
	expect(failing.checks.store?.state).toBe("ok");
	// Every instance shares Knack's refusal: a balancer reading this would empty its pool.
	expect(await readiness(service)).toMatchObject({ code: 200, status: "READY" });

	sandbox.clearFaults();
	expect((await post(service, voided())).status).toBe(200);
	expect((await until(service, (a) => a.status === "OK")).code).toBe(200);
	await stop(service);
	expect(changes(service, "knack")).toEqual(["error failing", "info ok"]);
});

test("Knack answering 500 for a while: DEGRADED (still 200), then OK once it recovers and the window has passed", async () => {
	const service = await start();
	await until(service, (a) => a.status === "OK");
	sandbox.inject({ status: 500, times: Infinity });
	const id = nextId++;
	const during = post(service, voided(id));

	const degraded = await until(service, (a) => a.status === "DEGRADED");
	expect(degraded.code).toBe(200);
	expect(degraded.checks.knack?.state).toBe("degraded");
	expect(degraded.checks.knack?.reason).toContain("STREET_BANNER: Knack's last answer was 500");
	expect((await readiness(service)).code).toBe(200);
	expect((await during).status).toBe(500);

	sandbox.clearFaults();
	expect((await post(service, voided(id))).status).toBe(200);
	await until(service, (a) => a.status === "OK");
	await stop(service);
	expect(changes(service, "knack")).toEqual(["warn degraded", "info ok"]);
	expect(messagesOf(id)).toHaveLength(1);
});

test("a backlog older than the threshold: DEGRADED naming the backlog, OK once it is finished", async () => {
	const service = await start({
		HEALTH_BACKLOG_DEGRADED_MINUTES: "0.03",
		HEALTH_BACKLOG_FAILING_MINUTES: "10",
	});
	await until(service, (a) => a.status === "OK");
	// Knack refuses the transaction update (not an outage): the delivery stays unfinished.
	sandbox.inject({ method: "PUT", objectKey: "object_180", status: 404, times: Infinity });
	const id = nextId++;
	expect((await post(service, voided(id))).status).toBe(404);

	const degraded = await until(service, (a) => a.status === "DEGRADED");
	expect(degraded.code).toBe(200);
	expect(degraded.checks.backlog).toMatchObject({ state: "degraded", pending: 1 });
	expect(degraded.checks.backlog?.reason).toStartWith("1 delivery not yet in Knack, the oldest for");
	expect(degraded.checks.knack?.state).toBe("ok");
	expect((await readiness(service)).code).toBe(200);

	sandbox.clearFaults();
	expect((await post(service, voided(id))).status).toBe(200);
	await until(service, (a) => a.status === "OK");
	await stop(service);
	expect(changes(service, "backlog")).toEqual(["warn degraded", "info ok"]);
});
