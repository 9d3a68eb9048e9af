import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";

/** Only CityBase can change Knack: postbacks need one of POSTBACK_TOKENS when it is set. */

let h: Harness;
let nextId = 85_000_000;
beforeAll(async () => {
	h = await startHarness({ env: { POSTBACK_TOKENS: "old-secret-1,new-secret-2", MAX_BODY_BYTES: "4096" } });
});
afterAll(() => h.stop());

const voided = () => postback({ id: nextId++, status: "voided" });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("unauthenticated postbacks change nothing, in Knack or in the log", () => {
	for (const [name, init] of [
		["no token", {}],
		["a wrong bearer token", { headers: { authorization: "Bearer guess" } }],
		["a wrong Basic password", { headers: { authorization: basic("citybase", "guess") } }],
		["a token in the user name instead of the password", { headers: { authorization: basic("old-secret-1", "") } }],
		["a wrong query token", { query: "?token=guess" }],
		["a prefix of a real token", { headers: { authorization: "Bearer old-secret" } }],
	] as const) {
		test(name, async () => {
			h.sandbox.clearCalls();
			const before = await h.service.store.lastSeq();
			const response = await h.post(voided(), init);
			expect(response.status).toBe(401);
			expect(await h.service.store.lastSeq()).toBe(before);
			expect(h.sandbox.calls()).toEqual([]);
		});
	}

	test("the refusal is logged without the secret that was tried", async () => {
		const from = h.logs.length;
		await h.post(voided(), { headers: { authorization: "Bearer tried-this-secret" } });
		const lines = h.logs.slice(from).map((l) => JSON.parse(l));
		expect(lines).toEqual([
			expect.objectContaining({ level: "warn", message: "postback refused: no valid token", status: 401 }),
		]);
		expect(h.logs.join("\n")).not.toContain("tried-this-secret");
	});
});

describe("every way a provider can send the token works, with either secret during a rotation", () => {
	const accepted: number[] = [];
	for (const [name, init] of [
		["Authorization: Bearer, the old secret", { headers: { authorization: "Bearer old-secret-1" } }],
		["Authorization: Bearer, the new secret", { headers: { authorization: "Bearer new-secret-2" } }],
		["HTTP Basic, token as the password", { headers: { authorization: basic("anyone", "new-secret-2") } }],
		["?token= in the URL", { query: "?token=old-secret-1" }],
	] as const) {
		test(name, async () => {
			const body = voided();
			accepted.push(body.data.id as number);
			const response = await h.post(body, init);
			expect(response.status).toBe(200);
		});
	}

	test("a secret that reaches a log line is masked there", async () => {
		// The plan's warning logs the invoice, so an invoice holding a token carries it to a line.
		const id = nextId++;
		accepted.push(id);
		const body = postback({ id, status: "successful", invoice: "INV-new-secret-2", parentRecordId: "p1" });
		const response = await h.post(body, { headers: { authorization: "Bearer new-secret-2" } });
		expect(response.status).toBe(200);
		const warning = h.logs.map((l) => JSON.parse(l)).find((l) => l.citybase_id === id && l.level === "warn");
		expect(warning?.message).toContain("no banner_type");
		expect(warning?.invoice).toBe("INV-[REDACTED]");
	});

	test("no secret is ever logged", () => {
		// The lines that would carry a leaked token exist: one 200 answer per accepted postback.
		const answered = h.logs
			.map((l) => JSON.parse(l))
			.filter((l) => l.message === "postback answered" && l.status === 200)
			.map((l) => l.citybase_id);
		expect(answered).toEqual(accepted);
		const all = h.logs.join("\n");
		expect(all).not.toContain("old-secret-1");
		expect(all).not.toContain("new-secret-2");
	});
});

test("repeated failures from one address are slowed down", async () => {
	const times: number[] = [];
	for (let i = 0; i < 4; i++) {
		const started = performance.now();
		expect((await h.post(voided(), { headers: { authorization: "Bearer nope" } })).status).toBe(401);
		times.push(performance.now() - started);
	}
	// Each failure in the window adds 250 ms to the next refusal.
	expect(times[3]).toBeGreaterThanOrEqual(500);
	expect((await h.post(voided(), { headers: { authorization: "Bearer new-secret-2" } })).status).toBe(200);
});

test("a body over MAX_BODY_BYTES is refused with 413 and not logged as an event", async () => {
	const before = await h.service.store.lastSeq();
	const body = voided();
	(body.data as Record<string, unknown>).padding = "x".repeat(8192);
	const response = await h.post(body, { headers: { authorization: "Bearer new-secret-2" } });
	expect(response.status).toBe(413);
	expect(await h.service.store.lastSeq()).toBe(before);
});

test("oversized headers are refused by the server (431) before reaching the application", async () => {
	const before = await h.service.store.lastSeq();
	const response = await h.post(voided(), {
		headers: { authorization: "Bearer new-secret-2", "x-padding": "x".repeat(64 * 1024) },
	});
	expect(response.status).toBe(431);
	expect(await h.service.store.lastSeq()).toBe(before);
});
