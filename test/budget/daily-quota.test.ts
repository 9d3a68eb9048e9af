import { afterEach, expect, test } from "bun:test";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { type KnackSandbox, startKnackSandbox } from "../../src/sandbox/knack.ts";
import { cli, cliEnv, successful } from "../cli/support.ts";
import { appIds, type Harness, startHarness } from "../support/harness.ts";

/**
 * Knack's daily plan quota, as the sandbox enforces it with Knack's headers: a replay
 * stops at the reserve (exit 75) and goes on after the reset without writing anything
 * twice; a postback that finds the quota spent is answered 503 and finished by recovery
 * after the reset. The sandbox's clock is set a few seconds before 00:00 UTC, where
 * Knack's plan day ends, so the reset comes within the test.
 */
let sandbox: KnackSandbox | undefined;
let h: Harness | undefined;
afterEach(async () => {
	await h?.stop();
	await sandbox?.stop();
	h = undefined;
	sandbox = undefined;
});

const DAY_MS = 86_400_000;
/** A sandbox whose plan day ends `ms` from now. */
function sandboxEndingDayIn(ms: number): KnackSandbox {
	const offset = (Math.floor(Date.now() / DAY_MS) + 1) * DAY_MS - ms - Date.now();
	return startKnackSandbox(defaultSandboxOptions({ clock: () => Date.now() + offset }));
}
const writesOf = (s: KnackSandbox) => s.calls().filter((c) => c.method !== "GET");

test("a replay stopped at the reserve exits 75, says what is left, and the same command finishes after the reset", async () => {
	sandbox = sandboxEndingDayIn(6000);
	h = await startHarness({ sandbox });
	const ids = [9301, 9302, 9303, 9304, 9305];
	for (const id of ids) expect((await h.post(successful(id))).status).toBe(200);
	sandbox.clearCalls();
	// 12 calls left today, 5 of them reserved for live payments: the replay gets 7 (3 a payment).
	sandbox.setQuota({ remaining: 12 });
	const env = cliEnv(h, { KNACK_DAILY_RESERVE: "5" });
	const replay = ["replay", "--force", "--all", "--yes"];

	const stopped = await cli(replay, { env });
	expect(stopped.code).toBe(75);
	expect(stopped.stderr).toMatch(
		/replay --force: 2 payment statuses replayed .*STOPPED at the Knack daily quota's reserve with 3 payment statuses left/,
	);
	expect(stopped.stderr).toContain("Run the same command again after");
	expect(sandbox.quota()[appIds.STREET_BANNER]?.remaining).toBe(5);

	await Bun.sleep(6500);
	const resumed = await cli(replay, { env });
	expect(resumed.code).toBe(0);
	expect(resumed.stderr).toContain("resuming the forced replay");
	expect(resumed.stderr).toContain("replay --force: 3 payment statuses replayed");
	// Every payment's two updates exactly once over both runs; its message found, not written again.
	const writes = writesOf(sandbox).map((c) => `${c.method} ${c.objectKey}`);
	expect(writes.filter((w) => w === "PUT object_180")).toHaveLength(ids.length);
	expect(writes.filter((w) => w === "PUT object_161")).toHaveLength(ids.length);
	expect(writes.filter((w) => w.startsWith("POST"))).toEqual([]);
	expect(sandbox.calls().filter((c) => c.status === 429)).toEqual([]);
}, 40_000);

test("a postback that finds the daily quota spent is answered 503, and recovery finishes it after the reset", async () => {
	sandbox = sandboxEndingDayIn(5000);
	h = await startHarness({
		sandbox,
		env: { POSTBACK_DEADLINE_SECONDS: "2", CLAIM_LEASE_SECONDS: "3", HEALTH_SAMPLE_SECONDS: "0.2" },
	});
	sandbox.setQuota({ remaining: 0 });

	const first = await h.post(successful(9401));
	expect(first.status).toBe(503);
	expect(await first.text()).toMatch(
		/Knack daily API quota of STREET_BANNER is exhausted; it resets at .*will be applied/,
	);
	// Knack said so once; the next payment is not even sent.
	const knackCalls = sandbox.calls().length;
	expect((await h.post(successful(9402))).status).toBe(503);
	expect(sandbox.calls().length).toBe(knackCalls);
	// A monitor reading GET / sees it.
	await Bun.sleep(400);
	const health = await fetch(`${h.service.url}/`);
	expect(health.status).toBe(503);
	const answer = (await health.json()) as { checks: { knack: { reason: string } } };
	expect(answer.checks.knack.reason).toContain("STREET_BANNER: the daily Knack quota is exhausted");

	await Bun.sleep(2500);
	expect(await h.service.recovery.runOnce()).toMatchObject({ finished: 0 });
	expect(sandbox.calls().length).toBe(knackCalls);
	await Bun.sleep(3500);
	expect(await h.service.recovery.runOnce()).toMatchObject({ finished: 2, deadLettered: 0 });
	expect(await h.service.store.incomplete()).toEqual([]);
	const messages = sandbox.records(appIds.STREET_BANNER, "object_181");
	for (const id of [9401, 9402]) expect(messages.filter((m) => m.field_3378_raw === id)).toHaveLength(1);
}, 40_000);

test("a dry run says per app what a replay costs: calls, time at the rate live traffic leaves, and whether today's quota holds it", async () => {
	sandbox = sandboxEndingDayIn(DAY_MS / 2);
	h = await startHarness({ sandbox });
	const env = cliEnv(h, { KNACK_DAILY_RESERVE: "5", KNACK_RATE_LIMIT: "10" });
	for (const id of [9501, 9502]) expect((await h.post(successful(id))).status).toBe(200);
	// The two postbacks' answers told the store the quota. A forced replay plans 4 calls a payment: the
	// message lookup and its insert if not found, the two updates.
	const fits = await cli(["replay", "--dry-run", "--force", "--all"], { env });
	expect(fits.code).toBe(0);
	expect(fits.stderr).toMatch(
		/STREET_BANNER: 8 Knack calls, about [\d.]+ s \(live traffic leaves \d calls\/s\); fits in today's quota \(\d+ calls left above the reserve\)/,
	);
	sandbox.setQuota({ remaining: 8 });
	await h.post(successful(9503));
	const short = await cli(["replay", "--dry-run", "--force", "--all"], { env });
	expect(short.stderr).toMatch(
		/STREET_BANNER: 12 Knack calls, .*does NOT fit in today's quota: 0 calls left above the reserve; the replay stops there \(exit 75\)/,
	);
	expect(writesOf(sandbox).length).toBe(9);
}, 40_000);
