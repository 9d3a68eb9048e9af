import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startCloudWatchEmulator } from "./support/cloudwatch-emulator.ts";
import { appIds, type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";

/** What operators see: health, metrics, API docs, and logs that explain themselves (docs/design.md §8, §9). */

let nextId = 86_000_000;
const voided = () => postback({ id: nextId++, status: "voided" });

describe("open operator endpoints on loopback while ADMIN_TOKEN is unset", () => {
	let h: Harness;
	beforeAll(async () => {
		h = await startHarness({ environment: "uat" });
	});
	afterAll(() => h.stop());

	test("GET / answers the Flask service's health shape", async () => {
		const response = await fetch(`${h.service.url}/`);
		expect(response.status).toBe(200);
		const body = (await response.json()) as { message: unknown; timestamp: string };
		expect(body).toMatchObject({
			status: "OK",
			environment: "uat",
			checks: { store: { state: "ok" }, knack: { state: "ok" }, backlog: { state: "ok" }, logs: { state: "ok" } },
		});
		expect(typeof body.message).toBe("string");
		expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
	});

	test("/metrics changes as postbacks flow", async () => {
		const scrape = async () => {
			const response = await fetch(`${h.service.url}/metrics`);
			expect(response.status).toBe(200);
			expect(response.headers.get("content-type")).toContain("text/plain");
			return response.text();
		};
		const value = (text: string, series: string) => {
			const line = text.split("\n").find((l) => l.startsWith(`${series} `));
			return line ? Number(line.slice(series.length + 1)) : 0;
		};
		const before = await scrape();
		const body = voided();
		await h.post(body);
		await h.post(body);
		await h.post("{");
		const after = await scrape();
		expect(
			value(after, 'citybase_postbacks_total{outcome="applied"}') -
				value(before, 'citybase_postbacks_total{outcome="applied"}'),
		).toBe(1);
		expect(
			value(after, 'citybase_postbacks_total{outcome="duplicate"}') -
				value(before, 'citybase_postbacks_total{outcome="duplicate"}'),
		).toBe(1);
		expect(
			value(after, 'citybase_postbacks_total{outcome="rejected"}') -
				value(before, 'citybase_postbacks_total{outcome="rejected"}'),
		).toBe(1);
		const posts = `citybase_knack_calls_total{app="STREET_BANNER",method="POST",object="object_181",status="200"}`;
		expect(value(after, posts) - value(before, posts)).toBe(1);
		expect(value(after, "citybase_events_in_log")).toBeGreaterThan(value(before, "citybase_events_in_log"));
		expect(after).toContain("citybase_knack_call_duration_seconds_bucket");
		expect(after).toContain("citybase_incomplete_deliveries 0");
	});

	test("/docs/json is an OpenAPI document that names the postback's fields; /docs is a page", async () => {
		type Schema = { properties: Record<string, Schema> };
		const doc = (await (await fetch(`${h.service.url}/docs/json`)).json()) as {
			openapi: string;
			paths: Record<string, { post: { requestBody: { content: Record<string, { schema: Schema }> } } }>;
		};
		expect(doc.openapi).toStartWith("3.");
		const schema = doc.paths["/citybase_postback"]?.post.requestBody.content["application/json"]?.schema;
		expect(Object.keys(schema?.properties.data?.properties ?? {})).toEqual(
			expect.arrayContaining(["id", "status", "total_amount", "custom_attributes", "line_items"]),
		);
		expect(doc.paths["/"]).toBeDefined();
		const page = await fetch(`${h.service.url}/docs`);
		expect(page.status).toBe(200);
		expect(page.headers.get("content-type")).toContain("text/html");
	});
});

describe("with ADMIN_TOKEN, operator endpoints need it", () => {
	let h: Harness;
	beforeAll(async () => {
		h = await startHarness({ env: { ADMIN_TOKEN: "operator-secret" } });
	});
	afterAll(() => h.stop());

	for (const path of ["/metrics", "/docs", "/docs/json"]) {
		test(path, async () => {
			expect((await fetch(`${h.service.url}${path}`)).status).toBe(401);
			expect((await fetch(`${h.service.url}${path}`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
			const ok = await fetch(`${h.service.url}${path}`, { headers: { authorization: "Bearer operator-secret" } });
			expect(ok.status).toBe(200);
		});
	}

	test("health and postbacks do not need it", async () => {
		expect((await fetch(`${h.service.url}/`)).status).toBe(200);
		expect((await h.post(voided())).status).toBe(200);
	});
});

describe("logs", () => {
	let h: Harness;
	let cloudWatch: ReturnType<typeof startCloudWatchEmulator>;
	beforeAll(async () => {
		cloudWatch = startCloudWatchEmulator();
		h = await startHarness({ environment: "staging", cloudWatchEndpoint: cloudWatch.endpoint });
		h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: "5f6000000000000000000001" });
	});
	afterAll(async () => {
		await h.stop();
		cloudWatch.stop();
	});
	const lines = () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

	test("every line about a postback carries its CityBase id and event sequence, and the request id is echoed", async () => {
		const body = postback({ id: nextId++, status: "voided", knackRecordId: "5f6000000000000000000001" });
		const response = await h.post(body, { headers: { "x-request-id": "req-123" } });
		expect(response.headers.get("x-request-id")).toBe("req-123");
		const mine = lines().filter((l) => l.request_id === "req-123" || l.citybase_id === body.data.id);
		expect(mine.length).toBeGreaterThanOrEqual(3);
		for (const line of mine) {
			expect(line.citybase_id).toBe(body.data.id);
			expect(typeof line.delivery_seq).toBe("number");
		}
		const answered = mine.find((l) => l.message === "postback answered");
		expect(answered).toMatchObject({ status: 200, level: "info" });
		const knackCall = mine.find((l) => l.knack_object === "object_180");
		expect(knackCall).toMatchObject({ knack_status: 200 });
	});

	test("a 5xx answer is logged at error level with status, citybase_id and delivery_seq", async () => {
		const body = postback({ id: nextId++, status: "voided", knackRecordId: "5f6000000000000000000001" });
		h.sandbox.inject({ method: "PUT", status: 503, times: 1000 });
		const response = await h.post(body);
		h.sandbox.clearFaults();
		expect(response.status).toBe(503);
		const answered = lines().find((l) => l.message === "postback answered" && l.citybase_id === body.data.id);
		expect(answered).toMatchObject({ level: "error", status: 503 });
		expect(typeof answered?.delivery_seq).toBe("number");
	});

	test("card, bank and Knack secrets appear in no log line and no CloudWatch event", async () => {
		const body = postback({ id: nextId++, status: "voided", knackRecordId: "5f6000000000000000000001" });
		Object.assign(body.data, {
			credit_card: { last_four: "4242", card_type: "visa-secret-type" },
			bank_account: {
				account_number_last_four: "9876",
				routing_number: "111000025",
				account_holder_name: "Resident Name",
			},
		});
		h.sandbox.inject({ method: "PUT", status: 400, body: "rejected", times: 1 });
		await h.post(body);
		await h.flushLogs();
		const group = "/dts/citybase/postback/staging";
		const streams = cloudWatch.streams(group);
		expect(streams.length).toBeGreaterThan(0);
		const everything = [...h.logs, ...streams.flatMap((s) => cloudWatch.events(group, s).map((e) => e.message))].join(
			"\n",
		);
		expect(everything).toContain(String(body.data.id));
		for (const secret of [
			"sandbox-street-banner-key",
			"sandbox-smart-mobility-key",
			"111000025",
			"Resident Name",
			"visa-secret-type",
		]) {
			expect(everything).not.toContain(secret);
		}
	});
});
