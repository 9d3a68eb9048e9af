import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { app, client, startTestSandbox } from "./helpers.ts";

const sandbox = startTestSandbox();
const knack = client(sandbox);
afterAll(() => sandbox.stop());

const lpb = "638e5b9e1370e500241c3e0a";
const ots = "638e5c0a1370e500241c3f01";
let ids: { paid: string; void: string; refund: string };

beforeAll(() => {
	sandbox.put(app.appId, "object_1", { id: lpb, field_1: "486" });
	sandbox.put(app.appId, "object_1", { id: ots, field_1: "112" });
	ids = {
		paid: sandbox.put(app.appId, "object_2", {
			field_10: 70022195,
			field_11: "PAID",
			field_12: "Chia B",
			field_20: lpb,
		}),
		void: sandbox.put(app.appId, "object_2", {
			field_10: 70022196,
			field_11: "VOID",
			field_12: "",
			field_20: [lpb, ots],
		}),
		refund: sandbox.put(app.appId, "object_2", { field_10: "70022195", field_11: "REFUND", field_20: null }),
	};
});

type Rule = { field: string; operator: string; value?: unknown };

async function list(filters?: unknown, extra = ""): Promise<{ status: number; body: Record<string, unknown> }> {
	const query = filters === undefined ? "" : `filters=${encodeURIComponent(JSON.stringify(filters))}`;
	const response = await knack.get(`/objects/object_2/records?${query}${extra}`);
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function matching(rules: Rule[], match = "and"): Promise<string[]> {
	const { status, body } = await list({ match, rules });
	expect(status).toBe(200);
	return (body.records as { id: string }[]).map((r) => r.id);
}

describe("filters", () => {
	test("no filter: every record, formatted, with Knack's page envelope", async () => {
		const { body } = await list();
		expect(body).toMatchObject({ total_pages: 1, current_page: 1, total_records: 3 });
		const first = (body.records as Record<string, unknown>[])[0];
		expect(first).toMatchObject({
			id: ids.paid,
			field_11: "PAID",
			field_11_raw: "PAID",
			field_20: `<span class="${lpb}">486</span>`,
		});
	});

	test('"is" compares as strings, so a number matches its text', async () => {
		expect(await matching([{ field: "field_10", operator: "is", value: "70022195" }])).toEqual([ids.paid, ids.refund]);
		expect(await matching([{ field: "field_10", operator: "is", value: 70022196 }])).toEqual([ids.void]);
	});

	test('"is not", "contains" (case-insensitive), "is blank", "is not blank"', async () => {
		expect(await matching([{ field: "field_11", operator: "is not", value: "PAID" }])).toEqual([ids.void, ids.refund]);
		expect(await matching([{ field: "field_12", operator: "contains", value: "chia" }])).toEqual([ids.paid]);
		expect(await matching([{ field: "field_12", operator: "is blank" }])).toEqual([ids.void, ids.refund]);
		expect(await matching([{ field: "field_12", operator: "is not blank" }])).toEqual([ids.paid]);
	});

	test("connections compare by record id; an empty connection is blank", async () => {
		expect(await matching([{ field: "field_20", operator: "is", value: ots }])).toEqual([ids.void]);
		expect(await matching([{ field: "field_20", operator: "is", value: lpb }])).toEqual([ids.paid, ids.void]);
		expect(await matching([{ field: "field_20", operator: "is", value: "486" }])).toEqual([]);
		expect(await matching([{ field: "field_20", operator: "is blank" }])).toEqual([ids.refund]);
	});

	test('"and" needs every rule, "or" any', async () => {
		const rules = [
			{ field: "field_10", operator: "is", value: "70022195" },
			{ field: "field_11", operator: "is", value: "REFUND" },
		];
		expect(await matching(rules, "and")).toEqual([ids.refund]);
		expect(await matching(rules, "or")).toEqual([ids.paid, ids.refund]);
	});

	test("the older form, a bare array of rules, is matched with and", async () => {
		const { body } = await list([{ field: "field_11", operator: "is", value: "VOID" }]);
		expect((body.records as { id: string }[]).map((r) => r.id)).toEqual([ids.void]);
	});

	test.each([
		["not JSON", "filters=%7Bnope"],
		[
			"an unknown operator",
			`filters=${encodeURIComponent(JSON.stringify({ rules: [{ field: "field_1", operator: "is like" }] }))}`,
		],
		["rules not a list", `filters=${encodeURIComponent(JSON.stringify({ match: "and", rules: {} }))}`],
		["a bad match", `filters=${encodeURIComponent(JSON.stringify({ match: "xor", rules: [] }))}`],
		[
			"a rule without field",
			`filters=${encodeURIComponent(JSON.stringify({ rules: [{ operator: "is", value: 1 }] }))}`,
		],
		["a bad page", "page=0"],
		["a fractional page", "page=1.5"],
		["a bad rows_per_page", "rows_per_page=ten"],
		["no rows per page", "rows_per_page=0"],
	])("%s: 400 with Knack's error JSON", async (_, query) => {
		const response = await knack.get(`/objects/object_2/records?${query}`);
		expect(response.status).toBe(400);
		expect(((await response.json()) as { errors: { message: string }[] }).errors[0]?.message).toBeString();
	});
});

describe("pagination", () => {
	test("rows_per_page and page slice the filtered records", async () => {
		const page2 = await list(undefined, "&rows_per_page=2&page=2");
		expect(page2.body).toMatchObject({ total_pages: 2, current_page: 2, total_records: 3 });
		expect((page2.body.records as { id: string }[]).map((r) => r.id)).toEqual([ids.refund]);
		const beyond = await list(undefined, "&rows_per_page=2&page=3");
		expect(beyond.body).toMatchObject({ total_pages: 2, current_page: 3, total_records: 3, records: [] });
	});

	test("every page of a filtered list, in order, holds each matching record exactly once", async () => {
		const other = startTestSandbox();
		try {
			const even: string[] = [];
			for (let i = 0; i < 53; i++) {
				const id = other.put(app.appId, "object_9", { field_1: i, field_2: i % 2 === 0 ? "even" : "odd" });
				if (i % 2 === 0) even.push(id);
			}
			const filters = encodeURIComponent(
				JSON.stringify({ match: "and", rules: [{ field: "field_2", operator: "is", value: "even" }] }),
			);
			const seen: string[] = [];
			for (let page = 1; page <= 3; page++) {
				const body = (await (
					await client(other).get(`/objects/object_9/records?filters=${filters}&rows_per_page=10&page=${page}`)
				).json()) as { records: { id: string }[] };
				expect(body).toMatchObject({ total_pages: 3, current_page: page, total_records: 27 });
				expect(body.records).toHaveLength(page < 3 ? 10 : 7);
				seen.push(...body.records.map((r) => r.id));
			}
			expect(seen).toEqual(even);
		} finally {
			await other.stop();
		}
	});

	test("25 rows by default, at most 1000", async () => {
		const other = startTestSandbox();
		try {
			for (let i = 0; i < 1030; i++) other.put(app.appId, "object_9", { field_1: i });
			const get = async (query: string) =>
				(await (await client(other).get(`/objects/object_9/records${query}`)).json()) as {
					total_pages: number;
					records: unknown[];
				};
			const byDefault = await get("");
			expect(byDefault.records).toHaveLength(25);
			expect(byDefault.total_pages).toBe(42);
			// Knack documents the maximum, not what it does above it; the sandbox clamps.
			for (const rows of [1000, 1001, 5000]) {
				const capped = await get(`?rows_per_page=${rows}`);
				expect(capped.records).toHaveLength(1000);
				expect(capped.total_pages).toBe(2);
			}
			const last = await get("?rows_per_page=1000&page=2");
			expect(last.records).toHaveLength(30);
		} finally {
			await other.stop();
		}
	});

	test("an object with no records: an empty page", async () => {
		const response = await knack.get("/objects/object_77/records");
		expect(await response.json()).toEqual({ total_pages: 0, current_page: 1, total_records: 0, records: [] });
	});
});
