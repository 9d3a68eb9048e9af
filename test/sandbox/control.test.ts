import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { app, client, otherApp, root, startTestSandbox } from "./helpers.ts";

const sandbox = startTestSandbox({
	seed: { [app.appId]: { object_1: [{ id: "5f3000000000000000000001", field_1: "seeded" }] } },
});
const knack = client(sandbox);
const control = root(sandbox);
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

const send = (method: string, path: string, body?: unknown) =>
	fetch(`${control}${path}`, {
		method,
		...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
	});

describe("calls", () => {
	test("GET lists the calls, DELETE clears them; neither is logged itself", async () => {
		await knack.get("/objects/object_1/records");
		const calls = (await (await send("GET", "/__sandbox/calls")).json()) as { method: string; status: number }[];
		expect(calls.map((c) => [c.method, c.status])).toEqual([["GET", 200]]);
		expect((await send("DELETE", "/__sandbox/calls")).status).toBe(200);
		expect(sandbox.calls()).toEqual([]);
	});

	test("stats count calls by method and status", async () => {
		await knack.get("/objects/object_1/records");
		await knack.post("/objects/object_1/records", { field_1: "a" });
		await knack.get("/objects/object_1/records/000000000000000000000000");
		sandbox.inject({ status: 500 });
		const stats = await (await send("GET", "/__sandbox/stats")).json();
		expect(stats).toEqual({
			total: 3,
			byMethod: { GET: 2, POST: 1 },
			byStatus: { "200": 2, "404": 1 },
			byMethodAndStatus: { "GET 200": 1, "POST 200": 1, "GET 404": 1 },
			faultsQueued: 1,
			quota: {
				[app.appId]: { limit: 1_000_000, remaining: 999_997, resetsInMs: expect.any(Number) },
				[otherApp.appId]: { limit: 1_000_000, remaining: 1_000_000, resetsInMs: expect.any(Number) },
			},
		});
	});
});

describe("faults", () => {
	test("POST queues a fault given as JSON; DELETE clears them", async () => {
		expect(
			await (await send("POST", "/__sandbox/faults", { method: "GET", status: 503, retryAfter: 1 })).json(),
		).toEqual({
			queued: 1,
		});
		const failed = await knack.get("/objects/object_1/records");
		expect(failed.status).toBe(503);
		expect(failed.headers.get("retry-after")).toBe("1");
		await send("POST", "/__sandbox/faults", { status: 500 });
		await send("DELETE", "/__sandbox/faults");
		expect((await knack.get("/objects/object_1/records")).status).toBe(200);
	});

	test.each([
		["not JSON", "{"],
		["no effect", {}],
		["a bad status", { status: "500" }],
	])("a malformed fault (%s): 400 and nothing queued", async (_, body) => {
		const response = await send("POST", "/__sandbox/faults", body);
		expect(response.status).toBe(400);
		expect((await knack.get("/objects/object_1/records")).status).toBe(200);
	});
});

describe("records", () => {
	test("GET shows an app's object formatted as Knack would", async () => {
		const response = await send("GET", `/__sandbox/records/${app.appId}/object_1`);
		expect(await response.json()).toEqual([
			{ id: "5f3000000000000000000001", field_1: "seeded", field_1_raw: "seeded" },
		]);
	});

	test("POST puts a record behind the service's back (merged when the id exists)", async () => {
		const response = await send("POST", `/__sandbox/records/${app.appId}/object_1`, {
			id: "5f3000000000000000000001",
			field_2: true,
		});
		expect(await response.json()).toEqual({
			id: "5f3000000000000000000001",
			field_1: "seeded",
			field_1_raw: "seeded",
			field_2: "Yes",
			field_2_raw: true,
		});
		const created = (await (
			await send("POST", `/__sandbox/records/${app.appId}/object_1`, { field_1: "new" })
		).json()) as {
			id: string;
		};
		expect(sandbox.records(app.appId, "object_1").map((r) => r.id)).toEqual(["5f3000000000000000000001", created.id]);
	});

	test("an unknown app: 404", async () => {
		expect((await send("GET", "/__sandbox/records/nope/object_1")).status).toBe(404);
	});
});

test("reset goes back to the seed, with no calls, no faults and a fresh plan day", async () => {
	await knack.post("/objects/object_1/records", { field_1: "added" });
	await knack.put("/objects/object_1/records/5f3000000000000000000001", { field_1: "changed" });
	sandbox.inject({ status: 500 });
	sandbox.setQuota({ limit: 5 });
	expect((await send("POST", "/__sandbox/reset")).status).toBe(200);
	expect(sandbox.quota()[app.appId]).toMatchObject({ limit: 1_000_000, remaining: 1_000_000 });
	expect(sandbox.calls()).toEqual([]);
	expect(sandbox.records(app.appId, "object_1")).toEqual([
		{ id: "5f3000000000000000000001", field_1: "seeded", field_1_raw: "seeded" },
	]);
	expect((await knack.get("/objects/object_1/records")).status).toBe(200);
});

test("an unknown control path: 404", async () => {
	expect((await send("GET", "/__sandbox/nothing")).status).toBe(404);
});
