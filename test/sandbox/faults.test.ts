import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { app, client, headers, startTestSandbox } from "./helpers.ts";

const sandbox = startTestSandbox();
const knack = client(sandbox);
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

const create = () => knack.post("/objects/object_1/records", { field_1: "a" });
const stored = () => sandbox.records(app.appId, "object_1").length;

describe("status faults", () => {
	test("answer the status with Knack's error JSON by default, once, and write nothing", async () => {
		sandbox.inject({ method: "POST", status: 503 });
		const failed = await create();
		expect(failed.status).toBe(503);
		expect(await failed.json()).toEqual({ errors: [{ message: "Service Unavailable" }] });
		expect(stored()).toBe(0);
		expect((await create()).status).toBe(200);
		expect(sandbox.calls().map((c) => c.status)).toEqual([503, 200]);
	});

	test("a given body (object as JSON, string as is) and Retry-After", async () => {
		sandbox.inject({ status: 429, retryAfter: 2 });
		sandbox.inject({ status: 400, body: "bad refund" });
		const limited = await create();
		expect(limited.status).toBe(429);
		expect(limited.headers.get("retry-after")).toBe("2");
		expect(await limited.json()).toEqual({ errors: [{ message: "Rate limit exceeded" }] });
		const bad = await create();
		expect(bad.status).toBe(400);
		expect(await bad.text()).toBe("bad refund");
	});

	test("`times` repeats the fault", async () => {
		sandbox.inject({ status: 500, times: 2 });
		const statuses = [];
		for (let i = 0; i < 3; i++) statuses.push((await create()).status);
		expect(statuses).toEqual([500, 500, 200]);
	});

	test("matches on method, object and record; others pass through", async () => {
		const id = sandbox.put(app.appId, "object_1", { field_1: "a" });
		const other = sandbox.put(app.appId, "object_1", { field_1: "b" });
		sandbox.inject({ method: "PUT", objectKey: "object_1", recordId: id, status: 500 });
		expect((await knack.get(`/objects/object_1/records/${id}`)).status).toBe(200);
		expect((await knack.put(`/objects/object_1/records/${other}`, { field_1: "c" })).status).toBe(200);
		expect((await knack.put(`/objects/object_2/records/${id}`, {})).status).toBe(404);
		expect((await knack.put(`/objects/object_1/records/${id}`, { field_1: "z" })).status).toBe(500);
		expect(sandbox.records(app.appId, "object_1").map((r) => r.field_1)).toEqual(["a", "c"]);
	});

	test("method matching is case-insensitive", async () => {
		sandbox.inject({ method: "post", status: 502 });
		expect((await create()).status).toBe(502);
	});

	test("applyBeforeFailing writes, then answers the fault", async () => {
		sandbox.inject({ status: 500, applyBeforeFailing: true });
		expect((await create()).status).toBe(500);
		expect(stored()).toBe(1);
	});

	test("clearFaults and reset drop queued faults", async () => {
		sandbox.inject({ status: 500 });
		sandbox.clearFaults();
		expect((await create()).status).toBe(200);
		sandbox.inject({ status: 500 });
		sandbox.reset();
		expect((await create()).status).toBe(200);
	});

	test("a malformed fault is refused when injected", () => {
		expect(() => sandbox.inject({})).toThrow("a fault needs status, drop or delayMs");
		expect(() => sandbox.inject({ status: 99 })).toThrow("status");
		expect(() => sandbox.inject({ status: 500, drop: true })).toThrow("either");
		expect(() => sandbox.inject({ status: 500, times: 0 })).toThrow("times");
		expect(() => sandbox.inject({ status: 500, time: 3 } as never)).toThrow("unknown fault option time");
	});

	test("faults apply after authentication: a bad key is still 401", async () => {
		sandbox.inject({ status: 500 });
		const response = await fetch(`${sandbox.url}/objects/object_1/records`, {
			headers: { ...headers, "x-knack-rest-api-key": "x" },
		});
		expect(response.status).toBe(401);
		expect((await create()).status).toBe(500);
	});
});

describe("dropped connections", () => {
	test("the client sees a network error, not an HTTP answer, and nothing is written", async () => {
		sandbox.inject({ method: "POST", drop: true });
		const error = await create().then(
			() => null,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(Error);
		expect((error as { code?: string }).code).toBe("ECONNRESET");
		expect(stored()).toBe(0);
		expect(sandbox.calls().map((c) => c.status)).toEqual([0]);
		expect((await create()).status).toBe(200);
	});

	test("applyBeforeFailing: Knack accepted the insert but the client never heard back", async () => {
		sandbox.inject({ method: "POST", drop: true, applyBeforeFailing: true });
		await expect(create()).rejects.toThrow();
		expect(sandbox.records(app.appId, "object_1").map((r) => r.field_1)).toEqual(["a"]);
	});
});

describe("delays", () => {
	test("a delay holds the answer back, then handles the request", async () => {
		sandbox.inject({ delayMs: 150 });
		const started = performance.now();
		const response = await create();
		expect(performance.now() - started).toBeGreaterThanOrEqual(140);
		expect(response.status).toBe(200);
		expect(stored()).toBe(1);
	});

	test("a client that gives up first: nothing written, logged as no answer", async () => {
		sandbox.inject({ delayMs: 300 });
		await expect(
			knack.post("/objects/object_1/records", { field_1: "a" }, { signal: AbortSignal.timeout(50) }),
		).rejects.toThrow();
		await Bun.sleep(400);
		expect(stored()).toBe(0);
		expect(sandbox.calls().map((c) => c.status)).toEqual([0]);
	});

	test("a client that gives up first, with applyBeforeFailing: written all the same", async () => {
		sandbox.inject({ delayMs: 300, applyBeforeFailing: true });
		await expect(
			knack.post("/objects/object_1/records", { field_1: "a" }, { signal: AbortSignal.timeout(50) }),
		).rejects.toThrow();
		expect(stored()).toBe(1);
	});

	test("a delay before a status", async () => {
		sandbox.inject({ delayMs: 100, status: 504 });
		const started = performance.now();
		expect((await create()).status).toBe(504);
		expect(performance.now() - started).toBeGreaterThanOrEqual(90);
	});

	test("while a delayed call is pending it is logged with status null", async () => {
		sandbox.inject({ delayMs: 200 });
		const pending = create();
		await Bun.sleep(50);
		expect(sandbox.calls().map((c) => c.status)).toEqual([null]);
		await pending;
		expect(sandbox.calls().map((c) => c.status)).toEqual([200]);
	});
});

test("latencyMs is added to every answer", async () => {
	const slow = startTestSandbox({ latencyMs: 100 });
	try {
		const started = performance.now();
		const response = await fetch(`${slow.url}/objects/object_1/records`);
		expect(response.status).toBe(401);
		expect(performance.now() - started).toBeGreaterThanOrEqual(90);
	} finally {
		await slow.stop();
	}
});
