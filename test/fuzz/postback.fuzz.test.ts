import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { decryptBody } from "../../src/events/bodyCipher.ts";
import { EventTypes, type StoredEvent } from "../../src/events/types.ts";
import { knackDate } from "../../src/projections/knack/date.ts";
import { planPostback } from "../../src/projections/knack/plan.ts";
import type { RecordedCall } from "../../src/sandbox/knack.ts";
import { appIds, type Harness, startHarness } from "../support/harness.ts";
import { keyring, keysValue } from "../support/keys.ts";
import { postback } from "../support/payloads.ts";
import { parents } from "../support/specFieldIds.ts";
import { edgeRecipes, type FuzzCase, type Recipe, recipe, toCase } from "./cases.ts";
import { type ExpectedCall, expectedCalls, invoiceField, refundSourceRecord, transactionObject } from "./knack.ts";
import { MAX_BODY, prefixes } from "./oracle.ts";

/**
 * Issue 6.4, "bad input never costs an event or a 500": thousands of generated
 * postbacks — valid ones and every kind of broken one — over real HTTP to one service.
 * Each must be answered 200, or 400 with a message that names the field and the rule
 * (413 past the size limit, 415 for a content type that is not JSON), never 5xx; each
 * must be in the log exactly once with its verdict, its body sealed (EVENT_LOG_KEYS is set)
 * and opening to the bytes sent; each accepted one must have made
 * exactly the Knack calls docs/design.md §4 lists; the server must stay up and its memory flat.
 *
 * FUZZ_RUNS (default 2000, plus the fixed edge cases), FUZZ_SEED (default 20250818; the
 * summary prints it), FUZZ_CONCURRENCY (default 8), FUZZ_TMPDIR (where the log goes):
 *
 *   FUZZ_RUNS=10000 FUZZ_SEED=7 npx bun test --timeout 600000 test/fuzz
 *
 * A failure names the case's number, kind and body; the same seed and a run count past
 * that number rebuild it exactly.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SEED = Number(process.env.FUZZ_SEED ?? 20250818);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);
const BATCH = 250;
const MIB = 1024 * 1024;
const MAX_RSS_GROWTH = 100 * MIB;

/**
 * The event log on tmpfs when there is one: with `synchronous=FULL` every commit is an
 * fsync (about 5 ms on this machine's disk, three per accepted delivery, each blocking
 * the one process that runs service, sandbox and client alike), which would make the
 * run measure the disk rather than the handling of bad input.
 */
const LOG_DIR = process.env.FUZZ_TMPDIR ?? (existsSync("/dev/shm") ? "/dev/shm" : undefined);

const keys: [string, number][] = [["fuzz", 9]];
let h: Harness;
beforeAll(async () => {
	const tmp = process.env.TMPDIR;
	if (LOG_DIR) process.env.TMPDIR = LOG_DIR;
	try {
		h = await startHarness({
			// The run is about input, not load: a 2-core machine busy with 250 KiB bodies must
			// not turn a slow moment into a Knack timeout that reads as a 5xx.
			env: {
				KNACK_RATE_LIMIT: "100000",
				KNACK_TIMEOUT_SECONDS: "10",
				POSTBACK_DEADLINE_SECONDS: "30",
				CLAIM_LEASE_SECONDS: "60",
				EVENT_LOG_KEYS: keysValue(...keys),
			},
		});
	} finally {
		if (tmp === undefined) delete process.env.TMPDIR;
		else process.env.TMPDIR = tmp;
	}
});
afterAll(() => h.stop());

type Answer = { status: number; text: string } | { error: string };
const mapped = new Set(["successful", "voided", "refunded"]);
/** what a string reads as once it has been through UTF-8 (a lone surrogate becomes U+FFFD) */
const wire = (text: string) => new TextDecoder().decode(new TextEncoder().encode(text));

class Tally {
	total = 0;
	accepted = 0;
	fiveHundreds = 0;
	knackCalls = 0;
	chunkedOverLimitErrors = 0;
	/** where the time went: drawing and building cases, the HTTP exchanges, checking */
	ms = { build: 0, send: 0, check: 0 };
	reasons = new Map<string, number>();
	failures: string[] = [];

	count(reason: string): void {
		this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
	}
}

function preview(c: FuzzCase): string {
	const text = new TextDecoder().decode(c.body.subarray(0, 300));
	const more = c.body.length > 300 ? ` …(${c.body.length} bytes)` : "";
	return `${JSON.stringify(text)}${more}`;
}

function seedKnack(c: FuzzCase): void {
	if (c.expect.status !== 200 || !mapped.has(c.expect.payment.status)) return;
	const { payment: p, refund } = c.expect;
	const app = appIds[p.app];
	if (p.status === "refunded" && p.app === "STREET_BANNER") {
		h.sandbox.put(app, transactionObject[p.app], refundSourceRecord(p.knackRecordId, refund));
		if (refund.lpbId) h.sandbox.put(app, parents.LAMPPOST.objectKey, { id: refund.lpbId, field_2787: "486" });
	} else h.sandbox.put(app, transactionObject[p.app], { id: p.knackRecordId });
	const parent = p.app === "SMART_MOBILITY" ? "BLOCK_PARTY" : p.bannerType;
	if (p.status === "successful" && parent && p.parentRecordId) {
		h.sandbox.put(app, parents[parent].objectKey, { id: p.parentRecordId });
	}
}

async function send(c: FuzzCase, requestId: string): Promise<Answer> {
	const headers: Record<string, string> = { "x-request-id": requestId };
	if (c.contentType !== null) headers["content-type"] = c.contentType;
	const bytes = c.body;
	const body = c.chunked
		? new ReadableStream<Uint8Array>({
				start(controller) {
					for (let at = 0; at < bytes.length; at += 16_384) controller.enqueue(bytes.slice(at, at + 16_384));
					controller.close();
				},
			})
		: bytes;
	try {
		const response = await fetch(`${h.service.url}/citybase_postback`, {
			method: "POST",
			headers,
			body,
			duplex: "half",
		} as RequestInit);
		return { status: response.status, text: await response.text() };
	} catch (error) {
		return { error: (error as Error).message };
	}
}

async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < items.length) await work(items[next++] as T);
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The answer's message against the oracle: category, and one clause per failing field. */
function checkMessage(c: FuzzCase, text: string): string | null {
	if (c.expect.status !== 400) return null;
	const prefix = prefixes.find((p) => text.startsWith(p));
	if (!prefix) return `a 400 without a specific message: ${JSON.stringify(text.slice(0, 200))}`;
	const { prefix: wanted, clauses } = c.expect;
	if (wanted === null) return null;
	if (prefix !== wanted) return `expected "${wanted}", answered ${JSON.stringify(text.slice(0, 300))}`;
	if (clauses.length === 0) return null;
	if (prefix === "Malformed JSON:") {
		return clauses.every((s) => text.includes(s)) ? null : `expected ${clauses}: ${text.slice(0, 200)}`;
	}
	const said = text.slice(prefix.length).trim().split("; ");
	const shown = Math.min(5, clauses.length);
	const unexpected = said.filter((s) => !clauses.some((e) => s.startsWith(e)));
	const missing = clauses.length <= 5 ? clauses.filter((e) => !said.some((s) => s.startsWith(e))) : [];
	if (said.length === shown && unexpected.length === 0 && missing.length === 0) return null;
	return `message ${JSON.stringify(text.slice(0, 400))} does not match expected clauses ${JSON.stringify(clauses.slice(0, 8))}`;
}

type Call = Pick<ExpectedCall, "method" | "objectKey" | "recordId" | "body"> & { app: string | null };
const shape = (call: Call | ExpectedCall) => `${call.method} ${call.objectKey} ${call.recordId ?? "-"}`;

async function runBatch(cases: { index: number; c: FuzzCase }[], tally: Tally): Promise<void> {
	for (const { c } of cases) seedKnack(c);
	const firstSeq = (await h.service.store.lastSeq()) + 1;
	const answers = new Map<number, Answer>();
	const sending = performance.now();
	await pool(cases, CONCURRENCY, async ({ index, c }) => {
		answers.set(index, await send(c, `fuzz-${index}`));
	});
	const checking = performance.now();
	tally.ms.send += checking - sending;

	// Every delivery of the batch, by request id, with the events that follow from it.
	const received = new Map<string, StoredEvent[]>();
	const byDelivery = new Map<number, StoredEvent[]>();
	for await (const event of h.service.store.range(firstSeq, await h.service.store.lastSeq())) {
		if (event.type === EventTypes.received) {
			const requestId = String(event.data?.requestId);
			received.set(requestId, [...(received.get(requestId) ?? []), event]);
		} else if (event.deliverySeq !== null) {
			byDelivery.set(event.deliverySeq, [...(byDelivery.get(event.deliverySeq) ?? []), event]);
		}
	}
	// The sandbox runs in this process: by now every call of the batch has been answered.
	const calls = h.sandbox.calls();
	h.sandbox.reset();
	const errors = h.logs.filter((line) => line.includes('"level":"error"'));
	h.logs.length = 0;
	// Reported, and pinned by its own test below: a chunked body over the limit is answered
	// 413 by Bun, but the handler still runs and logs a failure. Counted, not failed, here.
	const chunkedOverLimit = new Set(
		cases.filter(({ c }) => c.chunked && c.expect.status === 413).map(({ index }) => `fuzz-${index}`),
	);
	for (const line of errors) {
		if (chunkedOverLimit.has(requestIdOf(line) ?? "")) tally.chunkedOverLimitErrors++;
		else tally.failures.push(`error logged: ${line.slice(0, 400)}`);
	}

	// Knack calls belong to a delivery by the record they touch or the invoice they write.
	const owner = new Map<string, number>();
	for (const { index, c } of cases) {
		if (c.expect.status !== 200) continue;
		const p = c.expect.payment;
		owner.set(`invoice ${p.invoice}`, index);
		owner.set(`record ${p.knackRecordId}`, index);
		if (p.parentRecordId) owner.set(`record ${p.parentRecordId}`, index);
	}
	const callsOf = new Map<number, Call[]>();
	for (const call of calls) {
		const body = call.body as Record<string, unknown> | null;
		const field = call.objectKey ? invoiceField[call.objectKey] : undefined;
		const key = call.recordId
			? `record ${call.recordId}`
			: call.method === "POST" && field && body
				? `invoice ${String(body[field])}`
				: "";
		const index = owner.get(key);
		if (index === undefined) {
			tally.failures.push(`a Knack call no accepted delivery explains: ${describeCall(call)}`);
			continue;
		}
		const list = callsOf.get(index) ?? [];
		list.push({
			method: call.method,
			app: call.appId,
			objectKey: call.objectKey ?? "",
			recordId: call.recordId ?? null,
			body,
		} as Call);
		callsOf.set(index, list);
	}

	for (const { index, c } of cases) {
		const fail = (why: string) =>
			tally.failures.push(
				`#${index} [${c.kind}] content-type ${JSON.stringify(c.contentType)}${c.chunked ? " chunked" : ""}: ${why}\n    body ${preview(c)}`,
			);
		const answer = answers.get(index) as Answer;
		tally.total++;
		if ("error" in answer) {
			fail(`no HTTP answer: ${answer.error}`);
			continue;
		}
		const { status, text } = answer;
		if (status >= 500) tally.fiveHundreds++;
		tally.count(
			status === 200
				? "accepted"
				: status === 413
					? "413 Payload Too Large"
					: status === 415
						? "415 Unsupported Content-Type"
						: `${status} ${text.split(":")[0]}`,
		);
		if (status === 200) tally.accepted++;
		if (status !== c.expect.status) {
			const wanted =
				c.expect.status === 400 ? `400 ${c.expect.prefix} ${c.expect.clauses.join("; ")}` : c.expect.status;
			fail(`expected ${wanted}, answered ${status} ${JSON.stringify(text.slice(0, 300))}`);
			continue;
		}
		const problem = checkMessage(c, text);
		if (problem) fail(problem);
		if (c.answer !== undefined && text !== wire(c.answer)) {
			fail(`answered ${JSON.stringify(text.slice(0, 300))}, expected ${JSON.stringify(c.answer)}`);
		}
		if (status === 415 && !text.startsWith("Unsupported Content-Type")) fail(`415 without its message: ${text}`);

		// The log: one delivery.received per request with the exact bytes, then its verdict.
		const deliveries = received.get(`fuzz-${index}`) ?? [];
		if (status === 413) {
			if (deliveries.length !== 0) fail(`a body over the limit was logged ${deliveries.length} times`);
			continue;
		}
		if (deliveries.length !== 1) {
			fail(`${deliveries.length} delivery.received events, expected 1`);
			continue;
		}
		const delivery = deliveries[0] as StoredEvent;
		const opened = await decryptBody(keyring(...keys), delivery.body ?? new Uint8Array(), delivery.seq);
		if (opened.state !== "decrypted") fail(`the logged body is ${opened.state}, not sealed`);
		else if (!Buffer.from(opened.bytes).equals(Buffer.from(c.body))) fail("the logged body is not the bytes sent");
		const events = byDelivery.get(delivery.seq) ?? [];
		const types = events.map((e) => e.type);
		if (c.expect.status !== 200) {
			const rejected = events[0];
			if (events.length !== 1 || rejected?.type !== EventTypes.rejected) fail(`logged ${types.join(", ")}`);
			// (as sent: a lone surrogate in a parser's message goes out as U+FFFD)
			else if (wire(String(rejected.data?.reason)) !== text) fail("the logged reason is not the answer");
			continue;
		}

		const p = c.expect.payment;
		const accepted = events.find((e) => e.type === EventTypes.accepted);
		const effects = events.filter((e) => e.type === EventTypes.effectSucceeded);
		if (!accepted) {
			fail(`no delivery.accepted; logged ${types.join(", ")}`);
			continue;
		}
		expectEqual(accepted.data?.payment, p, "the logged payment", fail);
		const want = expectedCalls(p, knackDate(accepted.recordedAt), c.expect.refund);
		const plan = planPostback(p, { fieldMap: "UAT", recordedAt: accepted.recordedAt });
		const planned = plan.effects.flatMap((e) =>
			e.source
				? [`GET ${e.source.objectKey} ${e.source.recordId}`, `${e.method} ${e.objectKey} -`]
				: [`${e.method} ${e.objectKey} ${e.recordId ?? "-"}`],
		);
		expectEqual(want.map(shape), planned, "the oracle's calls against planPostback's", fail);
		if (types.filter((t) => t === EventTypes.applied).length !== 1 || effects.length !== plan.effects.length) {
			fail(`logged ${types.join(", ")} for ${plan.effects.length} effects`);
		}
		if (types.some((t) => t === EventTypes.effectFailed || t === EventTypes.deadLettered)) fail(`logged ${types}`);
		const made = callsOf.get(index) ?? [];
		tally.knackCalls += made.length;
		expectEqual(
			made,
			want.map((call) => ({ ...call, app: appIds[call.app] })),
			"the Knack calls",
			fail,
		);
		const okText = mapped.has(p.status)
			? "Payment status updated"
			: wire(`Payment status "${p.status}" recorded as a message; no transaction or reservation was changed`);
		if (text !== okText) fail(`answered ${JSON.stringify(text.slice(0, 200))}`);
	}
	tally.ms.check += performance.now() - checking;
}

function expectEqual(actual: unknown, expected: unknown, what: string, fail: (why: string) => void): void {
	try {
		expect(actual).toEqual(expected);
	} catch {
		fail(
			`${what}: ${JSON.stringify(actual)?.slice(0, 1500)}\n    expected ${JSON.stringify(expected)?.slice(0, 1500)}`,
		);
	}
}

function requestIdOf(line: string): string | null {
	try {
		return (JSON.parse(line) as { request_id?: string }).request_id ?? null;
	} catch {
		return null;
	}
}

function describeCall(call: RecordedCall): string {
	return `${call.method} ${call.path} ${JSON.stringify(call.body)?.slice(0, 300)}`;
}

function rss(): number {
	Bun.gc(true);
	return process.memoryUsage().rss;
}

test(
	`${RUNS} generated postbacks (seed ${SEED}): 200 or a specific 400, never 5xx; all logged; accepted ones projected per docs/design.md §4`,
	async () => {
		const started = performance.now();
		const tally = new Tally();
		const recipes: Recipe[] = [...edgeRecipes(), ...fc.sample(recipe, { seed: SEED, numRuns: RUNS })];
		let quarter: number | null = null;
		for (let from = 0; from < recipes.length; from += BATCH) {
			const building = performance.now();
			const batch = recipes.slice(from, from + BATCH).map((r, i) => ({ index: from + i, c: toCase(r, from + i) }));
			tally.ms.build += performance.now() - building;
			await runBatch(batch, tally);
			if (quarter === null && from + BATCH >= recipes.length / 4) quarter = rss();
		}
		const health = await fetch(`${h.service.url}/`);
		const end = rss();
		const seconds = (performance.now() - started) / 1000;

		const reasons = [...tally.reasons].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`);
		const growth = end - (quarter ?? end);
		console.log(
			[
				`fuzz: seed ${SEED}, ${recipes.length - RUNS} edge cases + ${RUNS} generated, ${CONCURRENCY} at a time, log in ${h.store.path ?? "PostgreSQL"}`,
				`  total ${tally.total}, accepted ${tally.accepted}, rejected ${tally.total - tally.accepted}`,
				`  by answer: ${reasons.join(", ")}`,
				`  5xx: ${tally.fiveHundreds}; failures: ${tally.failures.length}; Knack calls checked: ${tally.knackCalls}; error lines for chunked bodies over the limit (known): ${tally.chunkedOverLimitErrors}`,
				`  duration ${seconds.toFixed(1)} s (${Math.round(tally.total / seconds)} postbacks/s; building ${(tally.ms.build / 1000).toFixed(1)} s, HTTP ${(tally.ms.send / 1000).toFixed(1)} s, checking ${(tally.ms.check / 1000).toFixed(1)} s)`,
				`  rss at 1/4 ${((quarter ?? 0) / MIB).toFixed(1)} MiB, at the end ${(end / MIB).toFixed(1)} MiB, growth ${(growth / MIB).toFixed(1)} MiB`,
				`  reproduce: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} bun test --timeout 600000 test/fuzz`,
			].join("\n"),
		);
		for (const failure of tally.failures.slice(0, 40)) console.log(`FAIL ${failure}`);

		expect(health.status).toBe(200);
		expect(tally.fiveHundreds).toBe(0);
		expect(tally.failures.length).toBe(0);
		expect(growth).toBeLessThan(MAX_RSS_GROWTH);
	},
	Math.max(120_000, RUNS * 60),
);

// Bugs the fuzz run found, each pinned by the smallest request that shows it.

async function failedPostbacks(): Promise<number> {
	const text = await (await fetch(`${h.service.url}/metrics`)).text();
	const line = text.split("\n").find((l) => l.startsWith('citybase_postbacks_total{outcome="failed"}'));
	return Number(line?.split(" ").at(-1) ?? 0);
}

test("a chunked body over MAX_BODY_BYTES is a 413, not an unexpected failure in the logs and metrics", async () => {
	const failedBefore = await failedPostbacks();
	h.logs.length = 0;
	const answer = await send(
		{
			kind: "chunked over the limit",
			body: new Uint8Array(MAX_BODY + 1).fill(0x20),
			contentType: "application/json",
			chunked: true,
			expect: { status: 413 },
		},
		"fuzz-chunked-over-limit",
	);
	// The route answers, once it has read the body to its end (test/oversized-bodies.test.ts).
	expect(answer).toEqual({ status: 413, text: `Payload too large: at most ${MAX_BODY} bytes` });
	expect(h.logs.filter((line) => line.includes('"level":"error"'))).toEqual([]);
	expect(await failedPostbacks()).toBe(failedBefore);
});

test('a refund of total_amount -0 writes "-0" as the Flask service did (Python reads -0 as the int 0)', async () => {
	const id = 690_000_001;
	const recordId = "f00000000000000000000001";
	const source = {
		customerName: "Chia B",
		eventName: "E",
		type: "Lamppost",
		subDescription: "S",
		lpbId: null,
		ots: "missing",
	} as const;
	h.sandbox.put(appIds.STREET_BANNER, transactionObject.STREET_BANNER, refundSourceRecord(recordId, source));
	const body = JSON.stringify(
		postback({ id, status: "refunded", knackRecordId: recordId, invoice: "FZ-minus-zero" }),
	).replace(/"total_amount":[^,]+/, '"total_amount":-0');
	const response = await h.post(body);
	expect(response.status).toBe(200);
	const refund = h.sandbox.calls().find((c) => c.method === "POST" && c.objectKey === transactionObject.STREET_BANNER)
		?.body as Record<string, unknown>;
	expect(refund?.field_3338).toBe("-0");
	h.sandbox.reset();
});
