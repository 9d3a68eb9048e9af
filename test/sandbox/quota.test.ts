import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { DAILY_LIMIT_MESSAGE } from "../../src/sandbox/knack.ts";
import { app, client, headers, otherApp, root, startTestSandbox } from "./helpers.ts";

const sandbox = startTestSandbox({ rateLimitPerSecond: 5, dailyLimit: 100 });
const knack = client(sandbox);
const control = root(sandbox);
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

const LIMIT_HEADERS = [
	"x-planlimit-limit",
	"x-planlimit-remaining",
	"x-planlimit-reset",
	"x-ratelimit-limit",
	"x-ratelimit-remaining",
	"x-ratelimit-reset",
];

const limitHeaders = (response: Response) =>
	Object.fromEntries(LIMIT_HEADERS.map((name) => [name, response.headers.get(name)]));
const remaining = (response: Response) => Number(response.headers.get("x-planlimit-remaining"));

const send = (method: string, path: string, body?: unknown) =>
	fetch(`${control}${path}`, {
		method,
		...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
	});

const list = () => knack.get("/objects/object_1/records");

function msUntilUtcMidnight(now: number): number {
	const day = new Date(now);
	return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1) - now;
}

describe("the six headers", () => {
	test("in Knack's units: plan reset in ms until 00:00 UTC, burst reset in epoch seconds", async () => {
		const before = Date.now();
		const response = await list();
		const after = Date.now();
		const h = limitHeaders(response);
		expect(h).toMatchObject({
			"x-planlimit-limit": "100",
			"x-planlimit-remaining": "99",
			"x-ratelimit-limit": "5",
			"x-ratelimit-remaining": "4",
		});
		const planReset = Number(h["x-planlimit-reset"]);
		expect(planReset).toBeLessThanOrEqual(msUntilUtcMidnight(before));
		expect(planReset).toBeGreaterThanOrEqual(msUntilUtcMidnight(after));
		const burstReset = Number(h["x-ratelimit-reset"]);
		expect(burstReset).toBe(Math.ceil((before + 1000) / 1000));
	});

	test.each([
		["a list", () => list(), 200],
		["a record", () => knack.post("/objects/object_1/records", { field_1: "a" }), 200],
		["a 400", () => knack.get("/objects/object_1/records?page=0"), 400],
		["a missing record", () => knack.get("/objects/object_1/records/000000000000000000000000"), 404],
		["an unknown route", () => knack.get("/nothing"), 404],
		[
			"an injected 503",
			() => {
				sandbox.inject({ status: 503 });
				return list();
			},
			503,
		],
		[
			"an injected 429 with its own body",
			() => {
				sandbox.inject({ status: 429, body: "slow down" });
				return list();
			},
			429,
		],
		[
			"an injected delay",
			() => {
				sandbox.inject({ delayMs: 20 });
				return list();
			},
			200,
		],
	])("on %s, and the call is spent from the plan", async (_, call, status) => {
		const response = await call();
		expect(response.status).toBe(status);
		expect(Object.values(limitHeaders(response)).every((value) => value !== null && /^\d+$/.test(value))).toBe(true);
		expect(remaining(response)).toBe(99);
	});

	test("on a burst 429 (not spent) and a daily 429 (not spent)", async () => {
		const burst = (await Promise.all(Array.from({ length: 6 }, () => list()))).find((r) => r.status === 429);
		expect(burst && limitHeaders(burst)).toMatchObject({ "x-planlimit-remaining": "95", "x-ratelimit-remaining": "0" });
		sandbox.setQuota({ remaining: 0 });
		await Bun.sleep(1000);
		const daily = await list();
		expect(daily.status).toBe(429);
		expect(limitHeaders(daily)).toMatchObject({ "x-planlimit-remaining": "0", "x-ratelimit-remaining": "5" });
	});

	test("a wrong key for a known app: 401 with the headers, not spent; an unknown app: 401 without them", async () => {
		const wrongKey = await fetch(`${sandbox.url}/objects/object_1/records`, {
			headers: { ...headers, "x-knack-rest-api-key": "nope" },
		});
		expect(wrongKey.status).toBe(401);
		expect(limitHeaders(wrongKey)).toMatchObject({ "x-planlimit-remaining": "100", "x-ratelimit-remaining": "5" });
		const unknownApp = await fetch(`${sandbox.url}/objects/object_1/records`, {
			headers: { ...headers, "x-knack-application-id": "nope" },
		});
		expect(unknownApp.status).toBe(401);
		expect(Object.values(limitHeaders(unknownApp))).toEqual(LIMIT_HEADERS.map(() => null));
		expect(sandbox.quota()[app.appId]?.remaining).toBe(100);
	});

	test("a dropped connection has no answer to carry them, but the call was spent", async () => {
		// A POST: Bun's fetch silently retries a GET whose reused connection was reset.
		sandbox.inject({ method: "POST", drop: true });
		await expect(knack.post("/objects/object_1/records", { field_1: "a" })).rejects.toThrow();
		expect(sandbox.calls().map((c) => c.status)).toEqual([0]);
		expect(remaining(await list())).toBe(98);
	});
});

describe("the daily limit", () => {
	test("once spent: 429 with its own message, X-PlanLimit-Remaining 0, until the day resets", async () => {
		sandbox.setQuota({ appId: app.appId, limit: 2 });
		expect((await list()).status).toBe(200);
		const last = await list();
		expect(last.status).toBe(200);
		expect(remaining(last)).toBe(0);
		const refused = await list();
		expect(refused.status).toBe(429);
		expect(await refused.json()).toEqual({ errors: [{ message: DAILY_LIMIT_MESSAGE }] });
		expect(DAILY_LIMIT_MESSAGE).toBe("Daily API limit exceeded. The limit resets at midnight UTC.");
		expect(refused.headers.get("x-planlimit-limit")).toBe("2");
		expect(refused.headers.get("x-planlimit-remaining")).toBe("0");
		// Neither the refused call nor the other app's calls change that.
		expect((await list()).status).toBe(429);
		const other = await fetch(`${sandbox.url}/objects/object_1/records`, {
			headers: { ...headers, "x-knack-application-id": otherApp.appId, "x-knack-rest-api-key": otherApp.apiKey },
		});
		expect(other.status).toBe(200);
		expect(remaining(other)).toBe(99);
		expect((await send("POST", "/__sandbox/quota/reset", { appId: app.appId })).status).toBe(200);
		expect(remaining(await list())).toBe(1);
	});

	test("a client tells the burst 429 from the daily one by body and by X-PlanLimit-Remaining", async () => {
		const burst = (await Promise.all(Array.from({ length: 6 }, () => list()))).find((r) => r.status === 429);
		expect(await burst?.json()).toEqual({ errors: [{ message: "Rate limit exceeded" }] });
		expect(burst?.headers.get("x-planlimit-remaining")).not.toBe("0");
		await Bun.sleep(1000);
		sandbox.setQuota({ remaining: 0 });
		const daily = await list();
		expect(await daily.json()).toEqual({ errors: [{ message: DAILY_LIMIT_MESSAGE }] });
		expect(daily.headers.get("x-planlimit-remaining")).toBe("0");
	});

	test("a limit of 0 refuses the first call", async () => {
		const spent = startTestSandbox({ dailyLimit: 0 });
		try {
			const response = await client(spent).get("/objects/object_1/records");
			expect(response.status).toBe(429);
			expect(response.headers.get("x-planlimit-limit")).toBe("0");
		} finally {
			await spent.stop();
		}
	});

	test("per app id; apps not named get 1,000,000", async () => {
		const perApp = startTestSandbox({ dailyLimit: { [otherApp.appId]: 7 } });
		try {
			expect(perApp.quota()).toMatchObject({
				[app.appId]: { limit: 1_000_000, remaining: 1_000_000 },
				[otherApp.appId]: { limit: 7, remaining: 7 },
			});
		} finally {
			await perApp.stop();
		}
		expect(() => startTestSandbox({ dailyLimit: { "no-such-app": 1 } })).toThrow(/no-such-app/);
	});

	test("the day resets at 00:00 UTC by the clock", async () => {
		let now = Date.UTC(2026, 0, 15, 23, 59, 59, 0);
		const clocked = startTestSandbox({ dailyLimit: 1, clock: () => now });
		try {
			const get = () => client(clocked).get("/objects/object_1/records");
			const first = await get();
			expect(first.status).toBe(200);
			expect(first.headers.get("x-planlimit-reset")).toBe("1000");
			expect((await get()).status).toBe(429);
			now = Date.UTC(2026, 0, 16, 0, 0, 0, 1);
			const next = await get();
			expect(next.status).toBe(200);
			expect(next.headers.get("x-planlimit-reset")).toBe(String(86_400_000 - 1));
			expect(next.headers.get("x-planlimit-remaining")).toBe("0");
		} finally {
			await clocked.stop();
		}
	});
});

describe("control", () => {
	test("POST /__sandbox/quota sets the limit of every app, or of one, and answers the quota", async () => {
		await list();
		const all = await send("POST", "/__sandbox/quota", { limit: 10 });
		expect(all.status).toBe(200);
		// A new limit keeps the calls already made today.
		expect(await all.json()).toEqual({
			quota: {
				[app.appId]: { limit: 10, remaining: 9, resetsInMs: expect.any(Number) },
				[otherApp.appId]: { limit: 10, remaining: 10, resetsInMs: expect.any(Number) },
			},
		});
		const one = (await (
			await send("POST", "/__sandbox/quota", { appId: otherApp.appId, limit: 3, remaining: 1 })
		).json()) as {
			quota: Record<string, { limit: number; remaining: number }>;
		};
		expect(one.quota[otherApp.appId]).toMatchObject({ limit: 3, remaining: 1 });
		expect(one.quota[app.appId]).toMatchObject({ limit: 10, remaining: 9 });
	});

	test("remaining alone forces the count; the headers show it", async () => {
		await send("POST", "/__sandbox/quota", { appId: app.appId, remaining: 42 });
		expect(remaining(await list())).toBe(41);
	});

	test("POST /__sandbox/quota/reset: without a body every app starts a new day", async () => {
		await send("POST", "/__sandbox/quota", { remaining: 0 });
		expect((await send("POST", "/__sandbox/quota/reset")).status).toBe(200);
		expect(sandbox.quota()).toMatchObject({
			[app.appId]: { limit: 100, remaining: 100 },
			[otherApp.appId]: { limit: 100, remaining: 100 },
		});
	});

	test.each([
		["not JSON", "{"],
		["nothing to set", {}],
		["an unknown option", { limit: 1, remainig: 1 }],
		["a negative limit", { limit: -1 }],
		["a fractional remaining", { remaining: 1.5 }],
		["remaining above the limit", { limit: 5, remaining: 6 }],
		["an unknown app", { appId: "nope", limit: 1 }],
	])("a malformed quota change (%s): 400 and nothing changed", async (_, body) => {
		const response = await send("POST", "/__sandbox/quota", body);
		expect(response.status).toBe(400);
		expect(((await response.json()) as { errors: { message: string }[] }).errors[0]?.message).toBeString();
		expect(Object.values(sandbox.quota()).map((q) => [q.limit, q.remaining])).toEqual([
			[100, 100],
			[100, 100],
		]);
	});

	test("a malformed reset: 400", async () => {
		expect((await send("POST", "/__sandbox/quota/reset", { appId: "nope" })).status).toBe(400);
		expect((await send("POST", "/__sandbox/quota/reset", { limit: 1 })).status).toBe(400);
	});

	test("GET /__sandbox/stats shows the quota per app", async () => {
		await list();
		const stats = (await (await send("GET", "/__sandbox/stats")).json()) as { quota: unknown };
		expect(stats.quota).toEqual({
			[app.appId]: { limit: 100, remaining: 99, resetsInMs: expect.any(Number) },
			[otherApp.appId]: { limit: 100, remaining: 100, resetsInMs: expect.any(Number) },
		});
	});

	test("the sandbox reset restores the configured limits and a fresh day", async () => {
		sandbox.setQuota({ limit: 3, remaining: 0 });
		await send("POST", "/__sandbox/reset");
		expect(sandbox.quota()[app.appId]).toMatchObject({ limit: 100, remaining: 100 });
	});
});
