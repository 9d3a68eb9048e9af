import { afterAll, beforeAll, expect, test } from "bun:test";
import { cli, cliEnv, postApplied } from "../cli/support.ts";
import { appIds, type Harness, startHarness } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";

/**
 * verify reads back what the log updated a page of 1,000 records at a time wherever
 * that costs fewer calls than one GET per record: 40 payments with a transaction each
 * are read in one call, not forty.
 */
let h: Harness;
const payments = 40;
const lamppost = "5f8000000000000000000000";
const transactionId = (i: number) => `5f80000000000000000${String(1000 + i).padStart(5, "0")}`;

beforeAll(async () => {
	h = await startHarness({ startAt: "2025-08-18T19:17:00Z" });
	h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: lamppost, field_2796: "Pending Payment" });
	for (let i = 0; i < payments; i++) {
		h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: transactionId(i), field_3352: "INVOICED" });
		await postApplied(
			h,
			postback({
				id: 7300 + i,
				status: "successful",
				invoice: `INV-73${i}`,
				knackRecordId: transactionId(i),
				bannerType: "LAMPPOST",
				parentRecordId: lamppost,
			}),
		);
	}
});
afterAll(() => h.stop());

test("40 invoices (a transaction each, one reservation for all) are checked with 2 Knack calls: a page of transactions and one GET", async () => {
	h.sandbox.clearCalls();
	const r = await cli(["verify"], { env: cliEnv(h) });
	expect(r.stdout.trim()).toBe(
		`verified ${payments * 2} Knack records of ${payments} invoices with 2 Knack calls: 0 disagreements`,
	);
	expect(r.code).toBe(0);
	const calls = h.sandbox
		.calls()
		.map((c) =>
			`${c.method} ${c.objectKey}${c.recordId ? `/${c.recordId}` : ""} ${c.query.rows_per_page ?? ""}`.trim(),
		);
	expect(calls.sort()).toEqual([`GET object_161/${lamppost}`, "GET object_180 1000"]);
});

test("a record edited behind the log's back is still found on its page", async () => {
	h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: transactionId(7), field_3352: "VOID" });
	const r = await cli(["verify", "--json"], { env: cliEnv(h) });
	expect(r.code).toBe(1);
	const found = JSON.parse(r.stdout) as { recordId: string; field: string; actual: string }[];
	expect(found.map((d) => [d.recordId, d.actual])).toEqual([[transactionId(7), "VOID"]]);
});
