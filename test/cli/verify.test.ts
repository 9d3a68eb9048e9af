import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sameValue } from "../../src/application/operator/compare.ts";
import { appIds, type Harness, startHarness } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";
import { cli, cliEnv, messagesOf, postApplied } from "./support.ts";

/** `verify` reads back what the log says was written, and `--fix` re-applies what Knack lost. */

const ids = {
	transaction: "5f7000000000000000000001",
	lamppost: "5f7000000000000000000002",
	smTransaction: "5f7000000000000000000003",
	blockParty: "5f7000000000000000000004",
};

let h: Harness;
let env: Record<string, string>;

const transaction = () => h.sandbox.records(appIds.STREET_BANNER, "object_180").find((r) => r.id === ids.transaction);
const lamppost = () => h.sandbox.records(appIds.STREET_BANNER, "object_161").find((r) => r.id === ids.lamppost);

beforeAll(async () => {
	h = await startHarness({ startAt: "2025-08-18T19:17:00Z" });
	env = cliEnv(h);
	h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: ids.transaction, field_3352: "INVOICED" });
	h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.lamppost, field_2796: "Pending Payment" });
	h.sandbox.put(appIds.SMART_MOBILITY, "object_39", { id: ids.smTransaction, field_826: "INVOICED" });
	h.sandbox.put(appIds.SMART_MOBILITY, "object_36", { id: ids.blockParty, field_704: "Pending Payment" });
	await postApplied(
		h,
		postback({
			id: 7001,
			status: "successful",
			invoice: "INV-7001",
			knackRecordId: ids.transaction,
			bannerType: "LAMPPOST",
			parentRecordId: ids.lamppost,
		}),
	);
	// Smart Mobility paid, then refunded: the transaction's last write is REFUND.
	const sm = { invoice: "INV-7002", app: "SMART_MOBILITY" as const, knackRecordId: ids.smTransaction };
	await postApplied(h, postback({ ...sm, id: 7002, status: "successful", parentRecordId: ids.blockParty }));
	await postApplied(h, postback({ ...sm, id: 7002, status: "refunded" }));
});
afterAll(() => h.stop());

describe("verify", () => {
	test("finds nothing when Knack holds what the log wrote, the last write of a record winning", async () => {
		h.sandbox.clearCalls();
		const r = await cli(["verify"], { env });
		expect(r.stdout).toBe("verified 4 Knack records of 2 invoices with 4 Knack calls: 0 disagreements\n");
		expect(r.code).toBe(0);
		// One GET per record the log updated, each in its own app, and nothing written: a
		// verify that skipped a record, read one twice, or wrote would not be a read-back.
		const made = h.sandbox.calls().map((c) => `${c.appId} ${c.method} ${c.objectKey}/${c.recordId} ${c.status}`);
		expect(made.sort()).toEqual(
			[
				`${appIds.STREET_BANNER} GET object_180/${ids.transaction} 200`,
				`${appIds.STREET_BANNER} GET object_161/${ids.lamppost} 200`,
				`${appIds.SMART_MOBILITY} GET object_39/${ids.smTransaction} 200`,
				`${appIds.SMART_MOBILITY} GET object_36/${ids.blockParty} 200`,
			].sort(),
		);
	});

	test("finds a transaction edited behind our back, and --fix repairs it without duplicating anything", async () => {
		h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: ids.transaction, field_3352: "INVOICED" });
		h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.lamppost, field_2808: false });

		const found = await cli(["verify"], { env });
		expect(found.code).toBe(1);
		const rows = found.stdout.trim().split("\n");
		expect(rows[0]).toMatch(/^PAYMENT\s+STATUS\s+INVOICE\s+RECORD\s+FIELD\s+LOG SAYS\s+KNACK HAS$/);
		expect(rows.slice(1, 3).map((l) => l.split(/\s{2,}/))).toEqual([
			[
				"7001",
				"successful",
				"INV-7001",
				`object_161/${ids.lamppost} (parent)`,
				"payment received (field_2808)",
				"true",
				"No",
			],
			[
				"7001",
				"successful",
				"INV-7001",
				`object_180/${ids.transaction} (transaction)`,
				"transaction status (field_3352)",
				"PAID",
				"INVOICED",
			],
		]);
		expect(rows.at(-1)).toBe("verified 4 Knack records of 2 invoices with 4 Knack calls: 2 disagreements");

		const json = JSON.parse((await cli(["verify", "--json", "--payment", "7001"], { env })).stdout);
		expect(json).toContainEqual(
			expect.objectContaining({
				citybaseId: 7001,
				field: "field_3352",
				fieldName: "transaction status",
				expected: "PAID",
				actual: "INVOICED",
			}),
		);
		expect((await cli(["verify", "--invoice", "INV-7002"], { env })).code).toBe(0);

		h.sandbox.clearCalls();
		const fixed = await cli(["verify", "--fix"], { env });
		expect(fixed.code).toBe(0);
		expect(fixed.stdout).toContain("2 disagreements, 2 fixed");
		expect(fixed.stdout).toMatch(/transaction status \(field_3352\)\s+PAID\s+INVOICED\s+fixed/);
		expect(fixed.stderr).toMatch(/fixed: payment 7001 successful re-applied from delivery \d+ \(2 written\)/);
		expect(transaction()?.field_3352_raw).toBe("PAID");
		expect(transaction()?.field_3366_raw).toBe("08/18/2025 14:17");
		expect(lamppost()?.field_2808_raw).toBe(true);
		expect(messagesOf(h, 7001)).toHaveLength(1);
		expect((await cli(["verify"], { env })).code).toBe(0);

		const shown = JSON.parse((await cli(["payments", "show", "7001", "--json"], { env })).stdout);
		expect(shown.payments[0].timeline.filter((e: { type: string }) => e.type === "operator.action")).toEqual([
			expect.objectContaining({
				action: "verify-fix",
				by: "cli",
				what: expect.stringMatching(/^verify --fix: re-apply delivery \d+ \(forced\)$/),
				result: expect.stringMatching(/^fixed: payment 7001 successful re-applied/),
			}),
		]);
	});

	test("compares dates by day and minute, whatever format Knack reads them back in", async () => {
		h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.lamppost, field_2809: "08/18/2025 2:17pm" });
		expect((await cli(["verify", "--payment", "7001"], { env })).code).toBe(0);
		h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.lamppost, field_2809: "08/19/2025 14:17" });
		const r = await cli(["verify", "--payment", "7001", "--json"], { env });
		expect(r.code).toBe(1);
		expect(JSON.parse(r.stdout)).toEqual([
			expect.objectContaining({ field: "field_2809", expected: "08/18/2025 14:17", actual: "08/19/2025 14:17" }),
		]);
		h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.lamppost, field_2809: "08/18/2025 14:17" });
	});

	test("options: one scope at most, and an unknown payment fails", async () => {
		expect((await cli(["verify", "--payment", "7001", "--invoice", "INV-7001"], { env })).code).toBe(2);
		const unknown = await cli(["verify", "--payment", "99"], { env });
		expect(unknown.code).toBe(1);
		expect(unknown.stderr).toContain("no payment 99");
		expect((await cli(["verify", "--since", "2025-08-19"], { env })).stdout).toContain("of 0 invoices");
	});
});

describe("comparing a written value with what Knack reads back", () => {
	test.each([
		[true, true, true],
		[true, "Yes", true],
		[true, "No", false],
		[false, "No", true],
		["PAID", "PAID", true],
		["PAID", " PAID ", true],
		["PAID", "VOID", false],
		["08/18/2025 14:17", "08/18/2025 14:17", true],
		["08/18/2025 14:17", "08/18/2025 2:17pm", true],
		["08/18/2025 14:17", "08/18/2025 02:17 PM", true],
		["08/18/2025 00:05", "08/18/2025 12:05am", true],
		["08/18/2025 14:17", "08/18/2025", true],
		["08/18/2025 14:17", { date: "08/18/2025", hours: "02", minutes: "17", am_pm: "PM" }, true],
		["08/18/2025 14:17", { date: "08/18/2025", hours: "02", minutes: "18", am_pm: "PM" }, false],
		["08/18/2025 14:17", { timestamp: "08/18/2025 02:17 pm" }, true],
		["08/18/2025 14:17", "08/17/2025 14:17", false],
		["08/18/2025 14:17", "", false],
	])("%p against %p: %p", (expected, actual, same) => {
		expect(sameValue(expected, actual)).toBe(same);
	});
});
