import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Priority } from "../src/projections/knack/budget.ts";
import { createRateLimiter, STALE_GRANT_MS } from "../src/projections/knack/rateLimiter.ts";
import { openStorage } from "../src/storage/open.ts";
import type { Storage } from "../src/storage/storage.ts";

/**
 * The Knack budget on real time, over a real store: never more than N calls in any
 * second per app, for every limiter that shares the store; live before recovery before
 * operator work; earliest deadline first within a class; the daily quota's reserve.
 */
const dir = mkdtempSync(join(tmpdir(), "citybase-limiter-"));
const opened: Storage[] = [];
afterAll(async () => {
	for (const storage of opened) await storage.close();
	rmSync(dir, { recursive: true, force: true });
});
let files = 0;
/** A store of its own per test, and as many openings of it as "processes" the test wants. */
async function store(openings = 1): Promise<Storage[]> {
	const path = join(dir, `budget-${++files}.sqlite`);
	const storages: Storage[] = [];
	for (let i = 0; i < openings; i++) {
		const storage = await openStorage({ databasePath: path });
		opened.push(storage);
		storages.push(storage);
	}
	return storages;
}
const limiterOn = (storage: Storage, perSecond: number, dailyReserve = 0) =>
	createRateLimiter({ budget: storage.budget, policy: { perSecond, dailyReserve } });
const live = (deadline?: number) => ({ priority: "live" as Priority, deadline });
const granted = (a: { ok: boolean }) => a.ok;

test("never more than N grants in any rolling second, and the cap is kept busy", async () => {
	const perSecond = 40;
	const [storage] = (await store()) as [Storage];
	const limiter = limiterOn(storage, perSecond);
	const grants: number[] = [];
	const started = Date.now();
	await Promise.all(
		Array.from({ length: 100 }, () => limiter.acquire("STREET_BANNER", live()).then(() => grants.push(Date.now()))),
	);
	grants.sort((a, b) => a - b);
	for (let i = perSecond; i < grants.length; i++) {
		expect((grants[i] as number) - (grants[i - perSecond] as number)).toBeGreaterThanOrEqual(1000);
	}
	// 100 grants at 40 per second: two full windows (plus margins) after the first 40.
	expect(Date.now() - started).toBeLessThan(4000);
});

test("three limiters on one store (three processes) share one cap: N in any second, all of them together", async () => {
	const perSecond = 10;
	const limiters = (await store(3)).map((s) => limiterOn(s, perSecond));
	const grants: number[] = [];
	await Promise.all(
		limiters.flatMap((limiter) =>
			Array.from({ length: 10 }, () => limiter.acquire("STREET_BANNER", live()).then(() => grants.push(Date.now()))),
		),
	);
	grants.sort((a, b) => a - b);
	expect(grants).toHaveLength(30);
	for (let i = perSecond; i < grants.length; i++) {
		expect((grants[i] as number) - (grants[i - perSecond] as number)).toBeGreaterThanOrEqual(1000);
	}
});

test("apps have separate limits", async () => {
	const perSecond = 5;
	const [storage] = (await store()) as [Storage];
	const limiter = limiterOn(storage, perSecond);
	// Counted, not timed: the deadline (500 ms) is far inside the first window (1150 ms),
	// so each grant either comes from the window already open or is refused. Both apps'
	// N grants fit only if each app has a window of its own; a shared one refuses the
	// second app's N. The extra acquire on the first app shows its window is really full.
	const deadline = Date.now() + 500;
	const acquire = (app: string, n: number) => Array.from({ length: n }, () => limiter.acquire(app, live(deadline)));
	const [banner, mobility] = await Promise.all([
		Promise.all(acquire("STREET_BANNER", perSecond + 1)),
		Promise.all(acquire("SMART_MOBILITY", perSecond)),
	]);
	expect(banner.map(granted)).toEqual([...Array(perSecond).fill(true), false]);
	expect(mobility.map(granted)).toEqual(Array(perSecond).fill(true));
});

test("the earliest deadline is served first, whatever the order of arrival", async () => {
	const [storage] = (await store()) as [Storage];
	const limiter = limiterOn(storage, 2);
	const order: string[] = [];
	const now = Date.now();
	await Promise.all([limiter.acquire("A", live(now + 10_000)), limiter.acquire("A", live(now + 10_000))]);
	const waits = [
		limiter.acquire("A", live(now + 9000)).then(() => order.push("late postback")),
		limiter.acquire("A", live(now + 5000)).then(() => order.push("early postback")),
	];
	await Promise.all(waits);
	expect(order).toEqual(["early postback", "late postback"]);
});

test("a live call waiting beside a replay's is served first, and the replay leaves room for it", async () => {
	const [storage] = (await store()) as [Storage];
	const limiter = limiterOn(storage, 4);
	const order: string[] = [];
	const now = Date.now();
	// The window is full: everyone waits for the same second to pass.
	await Promise.all(Array.from({ length: 4 }, () => limiter.acquire("A", live(now + 10_000))));
	await Promise.all([
		limiter.acquire("A", { priority: "operator", deadline: now + 10_000 }).then(() => order.push("replay")),
		limiter.acquire("A", { priority: "recovery", deadline: now + 10_000 }).then(() => order.push("recovery")),
		limiter.acquire("A", live(now + 10_000)).then(() => order.push("live")),
	]);
	expect(order).toEqual(["live", "recovery", "replay"]);
});

test("operator work leaves two slots of every second to live payments, recovery one", async () => {
	const [storage] = (await store()) as [Storage];
	const limiter = limiterOn(storage, 10);
	await Promise.all(Array.from({ length: 7 }, () => limiter.acquire("A", live())));
	expect((await limiter.acquire("A", { priority: "operator" })).ok).toBe(true);
	// 8 of 10 taken: an operator call would leave fewer than two, so none fits in this second.
	const refused = await limiter.acquire("A", { priority: "operator", deadline: Date.now() + 400 });
	expect(refused).toEqual({ ok: false, reason: "deadline" });
	expect((await limiter.acquire("A", { priority: "recovery", deadline: Date.now() + 400 })).ok).toBe(true);
	// 9 taken: recovery must leave one too.
	expect(await limiter.acquire("A", { priority: "recovery", deadline: Date.now() + 400 })).toEqual({
		ok: false,
		reason: "deadline",
	});
	expect(await limiter.acquire("A", live(Date.now() + 400))).toEqual({ ok: true });
});

test("a caller whose deadline passes while it waits is told so by its deadline", async () => {
	const [storage] = (await store()) as [Storage];
	const limiter = limiterOn(storage, 1);
	expect(await limiter.acquire("A", live())).toEqual({ ok: true });
	const started = Date.now();
	expect(await limiter.acquire("A", live(started + 200))).toEqual({ ok: false, reason: "deadline" });
	expect(Date.now() - started).toBeLessThan(800);
	expect(await limiter.acquire("A", live(Date.now() + 5000))).toEqual({ ok: true });
});

test("the daily quota: operator work stops at the reserve, live calls at zero, and both go on after the reset", async () => {
	const [storage] = (await store()) as [Storage];
	const limiter = limiterOn(storage, 100, 5);
	const quota = (remaining: number, resetAt: number) => ({
		planLimit: 1000,
		planRemaining: remaining,
		planResetAt: resetAt,
		rateLimit: 10,
		rateRemaining: 10,
		rateResetAt: null,
		seenAt: Date.now(),
	});
	const resetAt = Date.now() + 60_000;
	await storage.budget.recordQuota("A", quota(7, resetAt));
	const operator = { priority: "operator" as Priority };
	// 7 left, 5 reserved: two operator calls, then the reserve is reached.
	expect((await limiter.acquire("A", operator)).ok).toBe(true);
	expect((await limiter.acquire("A", operator)).ok).toBe(true);
	expect(await limiter.acquire("A", operator)).toEqual({
		ok: false,
		reason: "quota",
		why: "reserve",
		resetAt,
		remaining: 5,
	});
	// Live payments have the reserve, down to the last call.
	for (let i = 0; i < 5; i++) expect((await limiter.acquire("A", live())).ok).toBe(true);
	expect(await limiter.acquire("A", live())).toMatchObject({ ok: false, reason: "quota", why: "exhausted" });
	// Knack's next headers say the day has reset.
	await storage.budget.recordQuota("A", quota(1000, Date.now() + 86_400_000));
	expect((await limiter.acquire("A", operator)).ok).toBe(true);
	// A plan day that has ended is unknown quota, not zero.
	await storage.budget.recordQuota("A", quota(0, Date.now() - 1));
	expect((await limiter.acquire("A", live())).ok).toBe(true);
});

/**
 * A clock that runs `lateMs` ahead from its `from`-th reading on, every reading after
 * that another `lateMs` further when `everyTime`: the store's answer coming that late,
 * as on a loaded machine, without slowing the store itself.
 */
function lateningClock(lateMs: number, { from = 2, everyTime = false } = {}) {
	let readings = 0;
	let ahead = 0;
	return () => {
		readings++;
		if (readings >= from && (everyTime || ahead === 0)) ahead += lateMs;
		return Date.now() + ahead;
	};
}

test("a grant the store answers too late is not used: it stays counted, and the call goes out on a fresh one", async () => {
	const [storage] = (await store()) as [Storage];
	const clock = lateningClock(STALE_GRANT_MS + 30);
	const limiter = createRateLimiter({ budget: storage.budget, policy: { perSecond: 10, dailyReserve: 0 }, clock });
	expect(await limiter.acquire("A", live())).toEqual({ ok: true });
	// The late grant holds its slot of the second, so the cap counts it; the used one is the second.
	expect(await storage.budget.recentGrants("A", clock())).toHaveLength(2);
});

test("a store slow on every answer slows Knack calls without stopping them: the fourth late grant is used", async () => {
	const [storage] = (await store()) as [Storage];
	const clock = lateningClock(STALE_GRANT_MS + 30, { everyTime: true });
	const limiter = createRateLimiter({ budget: storage.budget, policy: { perSecond: 10, dailyReserve: 0 }, clock });
	expect(await limiter.acquire("A", live())).toEqual({ ok: true });
	expect(await storage.budget.recentGrants("A", clock())).toHaveLength(4);
});
