import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { app, client, headers, startTestSandbox } from "./helpers.ts";

const sandbox = startTestSandbox();
const knack = client(sandbox);
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.reset());

const HEX_ID = /^[0-9a-f]{24}$/;

describe("authentication", () => {
	test.each([
		["no headers", {}],
		["no key", { "x-knack-application-id": app.appId }],
		["a wrong key", { "x-knack-application-id": app.appId, "x-knack-rest-api-key": "nope" }],
		["an unknown app", { "x-knack-application-id": "other", "x-knack-rest-api-key": app.apiKey }],
	])("%s: 401 with Knack's error JSON, and logged", async (_, given) => {
		const response = await fetch(`${sandbox.url}/objects/object_1/records`, { headers: given });
		expect(response.status).toBe(401);
		expect(await response.json()).toEqual({ errors: [{ message: "Invalid API key" }] });
		expect(sandbox.calls().map((c) => c.status)).toEqual([401]);
	});

	test("header names are case-insensitive", async () => {
		const response = await fetch(`${sandbox.url}/objects/object_1/records`, {
			headers: { "X-Knack-Application-Id": app.appId, "X-KNACK-REST-API-KEY": app.apiKey },
		});
		expect(response.status).toBe(200);
	});
});

describe("create and read", () => {
	test("POST answers the new record, formatted as a GET, with a 24-hex id", async () => {
		const response = await knack.post("/objects/object_1/records", { field_1: "486", field_2: 12.5, field_3: true });
		expect(response.status).toBe(200);
		const record = (await response.json()) as Record<string, unknown>;
		expect(record.id).toMatch(HEX_ID);
		expect(record).toEqual({
			id: record.id,
			field_1: "486",
			field_1_raw: "486",
			field_2: "12.5",
			field_2_raw: 12.5,
			field_3: "Yes",
			field_3_raw: true,
		});
		const read = await knack.get(`/objects/object_1/records/${record.id}`);
		expect(await read.json()).toEqual(record);
	});

	test("ids are unique", async () => {
		const ids = new Set<string>();
		for (let i = 0; i < 20; i++) {
			const response = await knack.post("/objects/object_1/records", { field_1: String(i) });
			ids.add(((await response.json()) as { id: string }).id);
		}
		expect(ids.size).toBe(20);
	});

	test("the old client's trailing slash is accepted", async () => {
		const response = await knack.post("/objects/object_1/records/", { field_1: "x" });
		expect(response.status).toBe(200);
		expect(sandbox.records(app.appId, "object_1")).toHaveLength(1);
	});

	test("false is No; null is an empty string; keys that are not field ids are ignored", async () => {
		const response = await knack.post("/objects/object_1/records", {
			id: "ffffffffffffffffffffffff",
			field_1: false,
			field_2: null,
			name: "ignored",
			field_3_raw: "ignored",
		});
		const record = (await response.json()) as Record<string, unknown>;
		expect(record.id).not.toBe("ffffffffffffffffffffffff");
		expect(record).toEqual({ id: record.id, field_1: "No", field_1_raw: false, field_2: "", field_2_raw: null });
	});
});

describe("connection fields", () => {
	function seedConnected() {
		const first = sandbox.put(app.appId, "object_1", { field_1: "486" });
		const second = sandbox.put(app.appId, "object_1", { field_1: "<487>" });
		return { first, second };
	}

	test("a record id is stored as [{id, identifier}] and shown as HTML", async () => {
		const { first } = seedConnected();
		const response = await knack.post("/objects/object_2/records", { field_20: first });
		const record = (await response.json()) as Record<string, unknown>;
		expect(record.field_20_raw).toEqual([{ id: first, identifier: "486" }]);
		expect(record.field_20).toBe(`<span class="${first}">486</span>`);
	});

	test("a list of ids: several spans joined with <br />, identifiers HTML-escaped", async () => {
		const { first, second } = seedConnected();
		const response = await knack.post("/objects/object_2/records", { field_20: [first, second] });
		const record = (await response.json()) as Record<string, unknown>;
		expect(record.field_20_raw).toEqual([
			{ id: first, identifier: "486" },
			{ id: second, identifier: "<487>" },
		]);
		expect(record.field_20).toBe(`<span class="${first}">486</span><br /><span class="${second}">&lt;487&gt;</span>`);
	});

	test.each([null, ""])("%p empties the connection", async (empty) => {
		const { first } = seedConnected();
		const id = sandbox.put(app.appId, "object_2", { field_20: first });
		const response = await knack.put(`/objects/object_2/records/${id}`, { field_20: empty });
		const record = (await response.json()) as Record<string, unknown>;
		expect(record.field_20_raw).toEqual([]);
		expect(record.field_20).toBe("");
	});

	test("an id that names no record of the connected object is refused (a display identifier, say)", async () => {
		seedConnected();
		const response = await knack.post("/objects/object_2/records", { field_20: "486" });
		expect(response.status).toBe(400);
		expect(await response.text()).toContain("field_20");
		expect(sandbox.records(app.appId, "object_2")).toEqual([]);
	});

	test("a connection written as [{id, identifier}] outside the schema is shown as a connection", () => {
		const id = sandbox.put(app.appId, "object_3", { field_5: [{ id: "638e5b9e1370e500241c3e0a", identifier: "12" }] });
		expect(sandbox.records(app.appId, "object_3")).toEqual([
			{
				id,
				field_5: '<span class="638e5b9e1370e500241c3e0a">12</span>',
				field_5_raw: [{ id: "638e5b9e1370e500241c3e0a", identifier: "12" }],
			},
		]);
	});

	test("without an identifier field the identifier is the id", async () => {
		const sandbox2 = startTestSandbox({ connections: { object_2: { field_20: {} } } });
		try {
			const response = await client(sandbox2).post("/objects/object_2/records", { field_20: "anything" });
			expect(((await response.json()) as Record<string, unknown>).field_20_raw).toEqual([
				{ id: "anything", identifier: "anything" },
			]);
		} finally {
			await sandbox2.stop();
		}
	});
});

describe("update and delete", () => {
	test("PUT merges fields and answers the whole record", async () => {
		const id = sandbox.put(app.appId, "object_1", { field_1: "a", field_2: "b" });
		const response = await knack.put(`/objects/object_1/records/${id}`, { field_2: "B", field_3: true });
		expect(response.status).toBe(200);
		const expected = {
			id,
			field_1: "a",
			field_1_raw: "a",
			field_2: "B",
			field_2_raw: "B",
			field_3: "Yes",
			field_3_raw: true,
		};
		expect(await response.json()).toEqual(expected);
		expect(sandbox.records(app.appId, "object_1")).toEqual([expected]);
	});

	test("DELETE answers {delete: true} and the record is gone", async () => {
		const id = sandbox.put(app.appId, "object_1", { field_1: "a" });
		const response = await knack.delete(`/objects/object_1/records/${id}`);
		expect(await response.json()).toEqual({ delete: true });
		expect((await knack.get(`/objects/object_1/records/${id}`)).status).toBe(404);
	});

	test("records are kept per app", async () => {
		sandbox.put(app.appId, "object_1", { field_1: "a" });
		expect(sandbox.records("app-two", "object_1")).toEqual([]);
		expect(() => sandbox.records("no-such-app", "object_1")).toThrow("unknown sandbox app id");
	});

	test("put() with an id edits that record, or creates it under that id", () => {
		const id = "5f3000000000000000000001";
		expect(sandbox.put(app.appId, "object_1", { id, field_1: "a" })).toBe(id);
		expect(sandbox.put(app.appId, "object_1", { id, field_2: "b" })).toBe(id);
		expect(sandbox.records(app.appId, "object_1")).toEqual([
			{ id, field_1: "a", field_1_raw: "a", field_2: "b", field_2_raw: "b" },
		]);
	});
});

describe("errors", () => {
	const missing = "000000000000000000000000";
	test.each(["GET", "PUT", "DELETE"])("%s of an unknown record: 404 Record not found", async (method) => {
		const response = await fetch(`${sandbox.url}/objects/object_1/records/${missing}`, {
			method,
			headers,
			...(method === "PUT" ? { body: "{}" } : {}),
		});
		expect(response.status).toBe(404);
		expect(await response.json()).toEqual({ errors: [{ message: "Record not found" }] });
	});

	test.each(["/objects/object_1", "/objects/not-an-object/records", "/records", "/objects/object_1/records/a/b"])(
		"unknown route %s: 404 JSON",
		async (path) => {
			const response = await knack.get(path);
			expect(response.status).toBe(404);
			expect(await response.json()).toEqual({ errors: [{ message: "Not found" }] });
		},
	);

	test("POST without content-type application/json: 400", async () => {
		const response = await fetch(`${sandbox.url}/objects/object_1/records`, {
			method: "POST",
			headers: { ...headers, "content-type": "text/plain" },
			body: '{"field_1":"a"}',
		});
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual({ errors: [{ message: "Content-Type must be application/json" }] });
		expect(sandbox.records(app.appId, "object_1")).toEqual([]);
	});

	test.each(["not json", "[1]", "null", ""])("POST body %p: 400", async (body) => {
		const response = await fetch(`${sandbox.url}/objects/object_1/records`, { method: "POST", headers, body });
		expect(response.status).toBe(400);
		expect(await response.json()).toEqual({ errors: [{ message: "Request body must be a JSON object" }] });
	});

	test("content-type with a charset is accepted", async () => {
		const response = await fetch(`${sandbox.url}/objects/object_1/records`, {
			method: "POST",
			headers: { ...headers, "content-type": "application/json; charset=utf-8" },
			body: "{}",
		});
		expect(response.status).toBe(200);
	});
});

test("every request is logged in order with what it was and what it answered", async () => {
	const created = (await (await knack.post("/objects/object_1/records", { field_1: "a" })).json()) as { id: string };
	await knack.get(`/objects/object_1/records/${created.id}?format=both`);
	await fetch(`${sandbox.url}/objects/object_1/records`);
	const calls = sandbox.calls();
	expect(calls.map(({ at: _, ...call }) => call)).toEqual([
		{
			seq: calls[0]?.seq as number,
			method: "POST",
			path: "/v1/objects/object_1/records",
			objectKey: "object_1",
			query: {},
			appId: app.appId,
			status: 200,
			body: { field_1: "a" },
		},
		{
			seq: (calls[0]?.seq as number) + 1,
			method: "GET",
			path: `/v1/objects/object_1/records/${created.id}`,
			objectKey: "object_1",
			recordId: created.id,
			query: { format: "both" },
			appId: app.appId,
			status: 200,
			body: null,
		},
		{
			seq: (calls[0]?.seq as number) + 2,
			method: "GET",
			path: "/v1/objects/object_1/records",
			objectKey: "object_1",
			query: {},
			appId: null,
			status: 401,
			body: null,
		},
	]);
	expect(Math.abs((calls[0]?.at as number) - Date.now())).toBeLessThan(5000);
	sandbox.clearCalls();
	expect(sandbox.calls()).toEqual([]);
});
