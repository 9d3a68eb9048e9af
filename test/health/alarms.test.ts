import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDelivery } from "../../src/events/payload.ts";
import { appIds, type Harness, startHarness } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";

/**
 * The CloudWatch metric filters of docs/cloudwatch-alarms.json against lines the
 * service really logs: each filter catches the lines it is meant for and no other. The
 * evaluator reads the subset of CloudWatch's JSON filter syntax the file uses
 * (`{ (cond) && (cond) }`, a cond `$.field op value` with a quoted string or a number),
 * and refuses anything else, so a filter cannot pass here by being misread.
 */

interface Filter {
	name: string;
	pattern: string;
	metric: { namespace: string; name: string; value: string; dimensions?: Record<string, string> };
}
interface Alarm {
	name: string;
	metric: string;
	dimensions?: Record<string, string>;
	runbook: string;
}
const root = join(import.meta.dir, "../..");
const spec = JSON.parse(readFileSync(join(root, "docs/cloudwatch-alarms.json"), "utf8")) as {
	filters: Filter[];
	alarms: Alarm[];
};
const filter = (name: string) => {
	const found = spec.filters.find((f) => f.name === name);
	if (!found) throw new Error(`no filter ${name}`);
	return found;
};

type Line = Record<string, unknown>;
type Condition = (line: Line) => boolean;

const CONDITION = /^\(?\s*\$\.([A-Za-z_][\w.]*)\s*(=|!=|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?)\s*\)?$/;

function field(line: Line, path: string): unknown {
	return path.split(".").reduce<unknown>((value, key) => (value as Line | undefined)?.[key], line);
}

function parsePattern(pattern: string): Condition {
	const body = /^\{\s*(.*?)\s*\}$/.exec(pattern)?.[1];
	if (body === undefined) throw new Error(`not a JSON filter pattern: ${pattern}`);
	const conditions = body.split("&&").map((part): Condition => {
		const match = CONDITION.exec(part.trim());
		if (!match) throw new Error(`outside the evaluated subset: ${part.trim()}`);
		const [, path, op, literal] = match as unknown as [string, string, string, string];
		const wanted: unknown = JSON.parse(literal);
		return (line) => {
			const value = field(line, path);
			if (typeof wanted === "string") {
				if (op !== "=" && op !== "!=") throw new Error(`${op} on a string in ${pattern}`);
				return typeof value === "string" && (value === wanted) === (op === "=");
			}
			if (typeof value !== "number") return false;
			const n = wanted as number;
			return {
				"=": value === n,
				"!=": value !== n,
				">=": value >= n,
				"<=": value <= n,
				">": value > n,
				"<": value < n,
			}[op] as boolean;
		};
	});
	return (line) => conditions.every((c) => c(line));
}

const transaction = "5f7200000000000000000001";
let h: Harness;
let lines: Line[];
let nextId = 89_000_000;
const voided = () => postback({ id: nextId++, status: "voided", knackRecordId: transaction });

/** Polls the service's own health until the wanted state, then gives the lines logged so far. */
async function untilHealth(wanted: (status: string, checks: Record<string, { state: string }>) => boolean) {
	const deadline = Date.now() + 15_000;
	for (;;) {
		const report = h.service.health.report();
		if (wanted(report.status, report.checks)) return;
		if (Date.now() > deadline) throw new Error(`health never reached the state: ${JSON.stringify(report)}`);
		await Bun.sleep(50);
	}
}

beforeAll(async () => {
	h = await startHarness({
		env: {
			HEALTH_SAMPLE_SECONDS: "0.1",
			HEALTH_KNACK_WINDOW_SECONDS: "1",
			POSTBACK_DEADLINE_SECONDS: "1",
			CLAIM_LEASE_SECONDS: "2",
		},
	});
	h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: transaction });
	await untilHealth((status) => status === "ok");

	// Knack refuses our credentials: answered 401 (not a 5xx), then knack is failing.
	h.sandbox.inject({ status: 401, times: Infinity });
	for (let i = 0; i < 3; i++) expect((await h.post(voided())).status).toBe(401);
	await untilHealth((_, checks) => checks.knack?.state === "failing");
	h.sandbox.clearFaults();

	// Knack answers 500 past the deadline: the postback is answered 500.
	h.sandbox.inject({ status: 500, times: Infinity });
	expect((await h.post(voided())).status).toBe(500);
	h.sandbox.clearFaults();
	expect((await h.post(voided())).status).toBe(200);

	// A delivery received five hours ago that never reached Knack: the backlog is failing.
	const body = new TextEncoder().encode(JSON.stringify(voided()));
	await h.service.storage.events.appendDelivery(
		{
			receivedAt: Date.now() - 5 * 3_600_000,
			body,
			contentType: "application/json",
			remoteAddress: null,
			requestId: null,
		},
		parseDelivery(body),
	);
	await untilHealth((_, checks) => checks.backlog?.state === "failing" && checks.knack?.state === "ok");
	await h.flushLogs();
	lines = h.logs.map((l) => JSON.parse(l) as Line);
});
afterAll(() => h.stop());

test("every pattern is in the evaluated subset, and every alarm watches a filter's metric", () => {
	for (const f of spec.filters) expect(() => parsePattern(f.pattern)).not.toThrow();
	for (const alarm of spec.alarms) {
		const source = spec.filters.find((f) => f.metric.name === alarm.metric);
		expect(source).toBeDefined();
		for (const name of Object.keys(alarm.dimensions ?? {})) expect(source?.metric.dimensions?.[name]).toBeDefined();
	}
});

test("the 5xx filter catches every answer with a 5xx status and nothing else", () => {
	const matches = parsePattern(filter("citybase-5xx-answers").pattern);
	const answers = lines.filter((l) => l.message === "postback answered");
	const fivexx = answers.filter((l) => (l.status as number) >= 500);
	expect(fivexx.map((l) => l.status)).toEqual([500]);
	expect(lines.filter(matches)).toEqual(fivexx);
	expect(answers.some((l) => l.status === 401)).toBe(true);
});

test("the health filter catches each check turning failing, once, with the check as its dimension", () => {
	const f = filter("citybase-health-failing");
	const matches = parsePattern(f.pattern);
	const caught = lines.filter(matches);
	expect(caught.map((l) => l.message)).toEqual(["health check failing", "health check failing"]);
	const dimension = (f.metric.dimensions?.check ?? "").replace(/^\$\./, "");
	expect(caught.map((l) => field(l, dimension))).toEqual(["knack", "backlog"]);
	// The lines of the other changes are there, and not caught.
	const others = lines.filter((l) => l.message === "health check ok" || l.message === "health check degraded");
	expect(others.length).toBeGreaterThan(0);
	expect(others.filter(matches)).toEqual([]);
	// Every check an alarm watches is one the service reports.
	const checks = Object.keys(h.service.health.report().checks);
	for (const alarm of spec.alarms) if (alarm.dimensions?.check) expect(checks).toContain(alarm.dimensions.check);
});

test("the runbook shows each filter's pattern as it is in the file", () => {
	const runbook = readFileSync(join(root, "docs/RUNBOOK.md"), "utf8");
	expect(spec.filters.map((f) => f.pattern).filter((pattern) => !runbook.includes(pattern))).toEqual([]);
});
