import { afterAll, beforeAll, expect, test } from "bun:test";
import { importStuck, stuckSpecs } from "../console/stuckLog.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { cli, cliEnv, postUnfinished, successful } from "./support.ts";

/**
 * `stuck`: the console's Stuck page at the terminal. 120 stuck payments written into the
 * log as the service would have, and one real postback Knack refused, sent twice: it
 * counts 121 payments (not their deliveries), 50 a page, and says how to ask for the next.
 */

let h: Harness;
let env: Record<string, string>;
const specs = stuckSpecs(120);

beforeAll(async () => {
	h = await startHarness();
	env = cliEnv(h);
	await importStuck(h.service.storage, specs);
	await postUnfinished(h, successful(9301, { invoice: "INV-9301" }));
	await postUnfinished(h, successful(9301, { invoice: "INV-9301" }));
});
afterAll(() => h.stop());

const rows = (stdout: string) => stdout.trim().split("\n").slice(1, -2);

test("one row per payment, 50 a page, the true count, and how to ask for the next page; exits 3", async () => {
	const first = await cli(["stuck"], { env });
	expect(first.code).toBe(3);
	const lines = first.stdout.trim().split("\n");
	expect(lines[0]).toMatch(/^STUCK SINCE \(CT\)\s+PAYMENT\s+APP\s+STATUS\s+INVOICE\s+DELIVERIES\s+WHY\s+LAST ERROR$/);
	expect(rows(first.stdout)).toHaveLength(50);
	const after = /--after (\d+\.\d+)$/.exec(lines.at(-1) as string)?.[1] as string;
	expect(lines.at(-1)).toBe(`121 payments stuck; 50 shown; next 50: --after ${after}`);

	const seen = new Set(rows(first.stdout).map((r) => r.split(/\s{2,}/)[1]));
	let next: string | undefined = after;
	while (next) {
		const r = await cli(["stuck", "--after", next], { env });
		for (const row of rows(r.stdout)) seen.add(row.split(/\s{2,}/)[1]);
		next = /--after (\d+\.\d+)$/.exec(r.stdout.trim())?.[1];
		if (!next) expect(r.stdout.trim().split("\n").at(-1)).toBe("121 payments stuck; 21 shown");
	}
	expect(seen.size).toBe(121);
	// The postback sent twice is one row, its two deliveries counted in it.
	const live = await cli(["stuck", "--status", "successful", "--why", "knack-4xx", "--json"], { env });
	expect(JSON.parse(live.stdout)).toContainEqual(
		expect.objectContaining({
			citybaseId: 9301,
			why: "knack-4xx",
			waitingDeliveries: [expect.any(Number), expect.any(Number)],
		}),
	);
});

test("filters narrow the list and say how many match", async () => {
	const r = await cli(["stuck", "--app", "SMART_MOBILITY", "--json"], { env });
	expect(r.code).toBe(3);
	const listed = JSON.parse(r.stdout) as { app: string }[];
	expect(listed).toHaveLength(specs.filter((s) => s.app === "SMART_MOBILITY").length);
	expect(new Set(listed.map((p) => p.app))).toEqual(new Set(["SMART_MOBILITY"]));
	const dead = await cli(["stuck", "--why", "dead-lettered"], { env });
	expect(dead.stdout.trim().split("\n").at(-1)).toBe(
		`121 payments stuck, ${specs.filter((s) => s.deadLettered).length} matching; ${specs.filter((s) => s.deadLettered).length} shown`,
	);
	expect((await cli(["stuck", "--why", "slow"], { env })).code).toBe(2);
	expect((await cli(["stuck", "--older-than", "2w"], { env })).stderr).toContain("--older-than must be 1h, 1d or 7d");
});

test("nothing stuck: says so and exits 0", async () => {
	const empty = await startHarness();
	try {
		const r = await cli(["stuck"], { env: cliEnv(empty) });
		expect(r).toMatchObject({ code: 0, stdout: "nothing stuck: every payment is complete in Knack\n" });
	} finally {
		await empty.stop();
	}
});

test("pending at its limit says it lists the oldest only, and how many deliveries wait in all", async () => {
	const deliveries = specs.reduce((n, s) => n + s.deliveries, 0) - specs.filter((s) => s.deadLettered).length + 2;
	const r = await cli(["pending", "--limit", "20"], { env });
	expect(r.code).toBe(3);
	expect(r.stdout.trim().split("\n").at(-1)).toBe(
		`${20 + specs.filter((s) => s.deadLettered).length} pending: the oldest 20 of each kind shown (--limit); ${deliveries} deliveries wait for Knack in all (cli stuck counts and pages through their payments)`,
	);
	const json = await cli(["pending", "--limit", "20", "--json"], { env });
	expect(json.stderr).toContain(`${deliveries} deliveries wait for Knack in all`);
	expect((await cli(["pending"], { env })).stdout.trim().split("\n").at(-1)).toBe(
		`${deliveries + specs.filter((s) => s.deadLettered).length} pending`,
	);
});
