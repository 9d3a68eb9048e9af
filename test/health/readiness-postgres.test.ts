import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { type KnackSandbox, startKnackSandbox } from "../../src/sandbox/knack.ts";
import { skipWithoutPostgres } from "../support/postgres.ts";
import { type ServiceProcess, spawnService } from "../support/process.ts";
import { freshStore, type TestStore } from "../support/store.ts";

/**
 * Readiness on a shared PostgreSQL log: a database that stops accepting this instance's
 * writes (here read-only, as after a failover to a replica) takes it out of a balancer's
 * pool with no postback arriving to find out, saying what the server refused; once the
 * database writes again, it is back.
 */
const skip = skipWithoutPostgres("readiness on PostgreSQL");
let sandbox: KnackSandbox;
let store: TestStore;
let service: ServiceProcess;

beforeAll(async () => {
	if (skip) return;
	sandbox = startKnackSandbox(defaultSandboxOptions());
	store = await freshStore("postgres");
	service = await spawnService({ ...store.env, HEALTH_SAMPLE_SECONDS: "0.2" }, sandbox.url);
});
afterAll(async () => {
	if (skip) return;
	service.process.kill("SIGTERM");
	await service.exited;
	await sandbox.stop();
	await store.drop();
});

async function readiness(): Promise<{ code: number; status: string; reason: string }> {
	const response = await fetch(`${service.url}/readyz`);
	return { code: response.status, ...((await response.json()) as { status: string; reason: string }) };
}

async function until(wanted: (a: Awaited<ReturnType<typeof readiness>>) => boolean) {
	const deadline = Date.now() + 15_000;
	let last = await readiness();
	while (!wanted(last) && Date.now() < deadline) {
		await Bun.sleep(50);
		last = await readiness();
	}
	return last;
}

/** Every later session of the service's database is read-only (or writes again), its current ones cut. */
async function readOnly(on: boolean) {
	const url = new URL(store.env.DATABASE_URL ?? "");
	const database = url.pathname.slice(1);
	// From another database: this one refuses its own ALTER once it is read-only.
	url.pathname = "/postgres";
	const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
	try {
		await admin.unsafe(`alter database "${database}" ${on ? "set default_transaction_read_only = on" : "reset all"}`);
		await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`;
	} finally {
		await admin.end();
	}
}

test.skipIf(skip)("a read-only database: NOT_READY saying so, then READY again", async () => {
	expect(await until((a) => a.code === 200)).toEqual({
		code: 200,
		status: "READY",
		reason: "the event log accepts writes",
	});
	await readOnly(true);
	// The probe that meets the cut connection says so first; the next meets the read-only session.
	expect(await until((a) => a.reason.includes("read-only"))).toEqual({
		code: 503,
		status: "NOT_READY",
		reason: "a test write to the event log failed: the database is read-only (25006)",
	});
	await readOnly(false);
	expect((await until((a) => a.code === 200)).status).toBe("READY");
});
