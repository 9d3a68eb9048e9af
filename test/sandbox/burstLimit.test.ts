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

test("a refused request takes no slot and is not spent from the daily plan", async () => {
	const responses = [];
	for (let i = 0; i < 5; i++) responses.push(await get());
	expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
	expect(responses.map((r) => r.headers.get("x-planlimit-remaining"))).toEqual([
		"999999",
		"999998",
		"999997",
		"999997",
		"999997",
	]);
	expect(sandbox.quota()[app.appId]?.remaining).toBe(999_997);
});

test("unset: a cap no test reaches, still counted in the headers", async () => {
	const open = startTestSandbox();
	try {
		const responses = await Promise.all(
			Array.from({ length: 30 }, () => fetch(`${open.url}/objects/object_1/records`, { headers })),
		);
		expect(responses.every((r) => r.status === 200)).toBe(true);
		expect(responses[0]?.headers.get("x-ratelimit-limit")).toBe("1000000");
		const remaining = responses.map((r) => Number(r.headers.get("x-ratelimit-remaining")));
		expect(Math.min(...remaining)).toBe(1_000_000 - 30);
	} finally {
		await open.stop();
	}
});

test("the cap is shared by every client of an app, in any process", async () => {
	// A second process stands for another integration the city runs against the same app.
	const script = `
		const [url, appId, apiKey, n] = process.argv.slice(-4);
		console.log("ready");
		for await (const _ of console) {
			const answers = await Promise.all(Array.from({ length: Number(n) }, () =>
				fetch(url, { headers: { "x-knack-application-id": appId, "x-knack-rest-api-key": apiKey } })));
			console.log(JSON.stringify(answers.map((r) => r.status)));
		}`;
	const other = Bun.spawn(
		[process.execPath, "-e", script, `${sandbox.url}/objects/object_1/records`, app.appId, app.apiKey, "3"],
		{ stdin: "pipe", stdout: "pipe" },
	);
	try {
		const lines = other.stdout.pipeThrough(new TextDecoderStream()).getReader();
		expect((await lines.read()).value).toBe("ready\n");
		const theirs = async (): Promise<number[]> => {
			other.stdin.write("go\n");
			other.stdin.flush();
			const { value } = await lines.read();
			return JSON.parse(value ?? "[]") as number[];
		};
		const ours = async () => (await Promise.all([get(), get(), get()])).map((r) => r.status);
		const statuses = (await Promise.all([ours(), theirs()])).flat();
		// Per client, each would have had its 3; together they get 3 between them.
		expect(statuses.filter((s) => s === 200)).toHaveLength(3);
		expect(statuses.filter((s) => s === 429)).toHaveLength(3);
		expect(sandbox.calls()).toHaveLength(6);
	} finally {
		other.kill();
		await other.exited;
	}
});
