import { expect, test } from "bun:test";
import { createRateLimiter } from "../src/projections/knack/rateLimiter.ts";

/** The per-app Knack rate limit, on real time: never more than N in any second, earliest deadline first. */

test("never more than N grants in any rolling second, and the cap is kept busy", async () => {
	const perSecond = 40;
	const limiter = createRateLimiter(perSecond);
	const grants: number[] = [];
	const started = Date.now();
	await Promise.all(
		Array.from({ length: 100 }, () => limiter.acquire("STREET_BANNER").then(() => grants.push(Date.now()))),
	);
	grants.sort((a, b) => a - b);
	for (let i = perSecond; i < grants.length; i++) {
		expect((grants[i] as number) - (grants[i - perSecond] as number)).toBeGreaterThanOrEqual(1000);
	}
	// 100 grants at 40 per second: two full windows (plus margins) after the first 40.
	expect(Date.now() - started).toBeLessThan(4000);
});

test("apps have separate limits", async () => {
	const perSecond = 5;
	const limiter = createRateLimiter(perSecond);
	// Counted, not timed: the deadline (500 ms) is far inside the first window (1050 ms),
	// so each grant either comes from the window already open or is refused. Both apps'
	// N grants fit only if each app has a window of its own; a shared one refuses the
	// second app's N. The extra acquire on the first app shows its window is really full.
	const deadline = Date.now() + 500;
	const acquire = (app: string, n: number) => Array.from({ length: n }, () => limiter.acquire(app, deadline));
	const [banner, mobility] = await Promise.all([
		Promise.all(acquire("STREET_BANNER", perSecond + 1)),
		Promise.all(acquire("SMART_MOBILITY", perSecond)),
	]);
	expect(banner).toEqual([...Array(perSecond).fill(true), false]);
	expect(mobility).toEqual(Array(perSecond).fill(true));
});

test("the earliest deadline is served first, whatever the order of arrival", async () => {
	const limiter = createRateLimiter(2);
	const order: string[] = [];
	const now = Date.now();
	await Promise.all([limiter.acquire("A", now + 10_000), limiter.acquire("A", now + 10_000)]);
	const waits = [
		limiter.acquire("A", now + 9000).then(() => order.push("late postback")),
		limiter.acquire("A", now + 5000).then(() => order.push("early postback")),
	];
	await Promise.all(waits);
	expect(order).toEqual(["early postback", "late postback"]);
});

test("a caller whose deadline passes while it waits is told so by its deadline", async () => {
	const limiter = createRateLimiter(1);
	expect(await limiter.acquire("A")).toBe(true);
	const started = Date.now();
	expect(await limiter.acquire("A", started + 200)).toBe(false);
	expect(Date.now() - started).toBeLessThan(800);
	expect(await limiter.acquire("A", Date.now() + 5000)).toBe(true);
});
