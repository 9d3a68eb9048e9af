import { afterAll, beforeEach, expect, test } from "bun:test";
import { app, headers, otherApp, startTestSandbox } from "./helpers.ts";

const sandbox = startTestSandbox({ rateLimitPerSecond: 3 });
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

const get = (appCredentials = app) =>
	fetch(`${sandbox.url}/objects/object_1/records`, {
		headers: {
			...headers,
			"x-knack-application-id": appCredentials.appId,
			"x-knack-rest-api-key": appCredentials.apiKey,
		},
	});

test("beyond N requests in a second an app gets 429 with Knack's message and rate headers", async () => {
	const responses = await Promise.all([get(), get(), get(), get()]);
	expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
	const limited = responses.find((r) => r.status === 429) as Response;
	expect(await limited.json()).toEqual({ errors: [{ message: "Rate limit exceeded" }] });
	expect(limited.headers.get("x-ratelimit-limit")).toBe("3");
	expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
	const reset = Number(limited.headers.get("x-ratelimit-reset"));
	expect(reset * 1000).toBeGreaterThan(Date.now());
	expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 2000);
	expect(
		sandbox
			.calls()
			.map((c) => c.status)
			.sort(),
	).toEqual([200, 200, 200, 429]);
});

test("admitted answers carry the remaining count", async () => {
	const first = await get();
	expect(first.headers.get("x-ratelimit-remaining")).toBe("2");
	expect((await get()).headers.get("x-ratelimit-remaining")).toBe("1");
});

test("the limit is per app", async () => {
	for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
	expect((await get()).status).toBe(429);
	expect((await get(otherApp)).status).toBe(200);
});

test("the window rolls: after a second the app is admitted again", async () => {
	for (let i = 0; i < 4; i++) await get();
	await Bun.sleep(1050);
	expect((await get()).status).toBe(200);
});

test("off by default", async () => {
	const open = startTestSandbox();
	try {
		const responses = await Promise.all(
			Array.from({ length: 30 }, () => fetch(`${open.url}/objects/object_1/records`, { headers })),
		);
		expect(responses.every((r) => r.status === 200)).toBe(true);
		expect(responses[0]?.headers.get("x-ratelimit-limit")).toBeNull();
	} finally {
		await open.stop();
	}
});
