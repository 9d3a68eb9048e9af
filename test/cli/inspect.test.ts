import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness.ts";
import { postback } from "../support/payloads.ts";
import { cli, cliEnv, postApplied, postUnfinished, seeded, successful } from "./support.ts";

/**
 * `events list`, `events show`, `payments show` and `pending` over a log made by real
 * postbacks: one applied payment, one refunded, one left unfinished (Knack refused its
 * transaction update), one invalid delivery.
 */

let h: Harness;
let env: Record<string, string>;

beforeAll(async () => {
	h = await startHarness({ startAt: "2025-08-18T19:17:00Z" });
	env = cliEnv(h);
	await postApplied(h, successful(5001, { invoice: "INV-A" }));
	await postApplied(h, postback({ id: 5002, status: "refunded", invoice: "INV-B" }));
	await postUnfinished(h, successful(5003, { invoice: "INV-C" }));
	expect((await h.post("{not json")).status).toBe(400);
});
afterAll(() => h.stop());

describe("events list", () => {
	test("lists every delivery newest first, with its state and Knack outcomes", async () => {
		const r = await cli(["events", "list"], { env });
		expect(r.code).toBe(0);
		const lines = r.stdout.trim().split("\n");
		expect(lines[0]).toMatch(/^SEQ\s+RECEIVED\s+PAYMENT\s+STATUS\s+INVOICE\s+STATE\s+KNACK$/);
		expect(lines.slice(1).map((l) => l.split(/\s{2,}/).slice(2, 6))).toEqual([
			["-", "-", "-", "rejected"],
			["5003", "successful", "INV-C", "incomplete"],
			["5002", "refunded", "INV-B", "applied"],
			["5001", "successful", "INV-A", "applied"],
		]);
		expect(lines[1]).toContain("Malformed JSON");
		expect(lines[2]).toContain("2 ok, 1 failed");
		expect(lines[4]).toContain("2025-08-18 14:17");
	});

	test("filters by payment, invoice, status, rejection and time, and limits", async () => {
		const ids = async (...args: string[]) => {
			const r = await cli(["events", "list", "--json", ...args], { env });
			expect(r.code).toBe(0);
			return (JSON.parse(r.stdout) as { citybaseId: number | null }[]).map((d) => d.citybaseId);
		};
		expect(await ids("--payment", "5002")).toEqual([5002]);
		expect(await ids("--invoice", "INV-C")).toEqual([5003]);
		expect(await ids("--status", "successful")).toEqual([5003, 5001]);
		expect(await ids("--rejected")).toEqual([null]);
		expect(await ids("--limit", "2")).toEqual([null, 5003]);
		expect(await ids("--since", "2025-08-18")).toHaveLength(4);
		expect(await ids("--until", "2025-08-17")).toEqual([]);
		expect(await ids("--since", "2025-08-19")).toEqual([]);
		expect(await ids("--until", "2025-08-18")).toHaveLength(4);
		expect(await ids("--since", "2025-08-18T14:00", "--until", "2025-08-18T20:00:00Z")).toHaveLength(4);
	});

	test("--json prints one JSON array", async () => {
		const r = await cli(["events", "list", "--json", "--payment", "5003"], { env });
		expect(JSON.parse(r.stdout)).toEqual([
			expect.objectContaining({
				citybaseId: 5003,
				status: "successful",
				invoice: "INV-C",
				verdict: "accepted",
				state: "incomplete",
				knackSucceeded: 2,
				knackFailed: 1,
			}),
		]);
		expect(JSON.parse((await cli(["events", "list", "--json", "--payment", "1"], { env })).stdout)).toEqual([]);
	});

	test("a bad filter is a usage error (exit 2)", async () => {
		const r = await cli(["events", "list", "--since", "yesterday"], { env });
		expect(r.code).toBe(2);
		expect(r.stderr).toContain("--since must be a date");
		expect((await cli(["events", "list", "--limit", "-3"], { env })).code).toBe(2);
		expect((await cli(["events", "list", "--since", "2025-02-30"], { env })).code).toBe(2);
	});
});

describe("events show", () => {
	const deliveryOf = async (id: number) => {
		const r = await cli(["events", "list", "--json", "--payment", String(id)], { env });
		return (JSON.parse(r.stdout) as { seq: number }[])[0]?.seq as number;
	};

	test("shows the delivery, its verdict and every Knack outcome, from any of its events", async () => {
		const seq = await deliveryOf(5003);
		for (const target of [seq, seq + 2]) {
			const r = await cli(["events", "show", String(target)], { env });
			expect(r.code).toBe(0);
			expect(r.stdout).toContain(`delivery ${seq}, received 2025-08-18 14:17`);
			expect(r.stdout).toContain("accepted: payment 5003 successful, STREET_BANNER, invoice INV-C");
			expect(r.stdout).toMatch(/message written\s+POST object_181\s+200 record \w+/);
			expect(r.stdout).toMatch(new RegExp(`parent written\\s+PUT object_161/${seeded.lamppost}\\s+200`));
			expect(r.stdout).toMatch(
				/transaction failed\s+PUT object_180\/638e5bc21370e500241c3e15\s+400: field_3352 is invalid/,
			);
			expect(r.stdout).toContain('"credit_card": "[REDACTED]"');
		}
	});

	test("--json prints one object with the body and every event", async () => {
		const seq = await deliveryOf(5002);
		const shown = JSON.parse((await cli(["events", "show", String(seq), "--json"], { env })).stdout);
		expect(shown.seq).toBe(seq);
		expect(shown.verdict).toEqual({ accepted: true, payment: expect.objectContaining({ citybaseId: 5002 }) });
		expect(JSON.parse(shown.body).data.id).toBe(5002);
		expect(shown.events.map((e: { type: string; kind?: string }) => e.kind ?? e.type)).toEqual([
			"delivery.accepted",
			"message",
			"refund",
			"delivery.applied",
		]);
	});

	test("a rejected delivery shows its reason and that nothing went to Knack", async () => {
		const r = await cli(["events", "list", "--json", "--rejected"], { env });
		const seq = (JSON.parse(r.stdout) as { seq: number }[])[0]?.seq as number;
		const shown = await cli(["events", "show", String(seq)], { env });
		expect(shown.stdout).toContain("rejected: Malformed JSON");
		expect(shown.stdout).toContain("nothing sent to Knack");
	});

	test("an unknown position fails (exit 1), a malformed one is a usage error (exit 2)", async () => {
		const missing = await cli(["events", "show", "999999"], { env });
		expect(missing.code).toBe(1);
		expect(missing.stderr).toContain("no event 999999");
		expect((await cli(["events", "show", "abc"], { env })).code).toBe(2);
		expect((await cli(["events", "show"], { env })).code).toBe(2);
	});
});

describe("payments show", () => {
	test("by id: every delivery, every Knack write with status and record id, and what is unfinished", async () => {
		const r = await cli(["payments", "show", "5003"], { env });
		expect(r.code).toBe(0);
		const delivery = /^\S+ \S+\s+\d+\s+(\d+)\s+successful\s+delivery accepted/m.exec(r.stdout)?.[1];
		expect(r.stdout).toContain("payment 5003 · STREET_BANNER · invoice INV-C");
		expect(r.stdout).toMatch(/delivery accepted/);
		expect(r.stdout).toMatch(/message written\s+POST object_181\s+200 record \w{24}/);
		expect(r.stdout).toMatch(
			/parent written\s+PUT object_161\/638e5bb01370e500241c3e12\s+200 record 638e5bb01370e500241c3e12/,
		);
		expect(r.stdout).toContain(
			`successful: delivery ${delivery} incomplete; UNFINISHED: transaction (PUT object_180/638e5bc21370e500241c3e15); last error 400: field_3352 is invalid`,
		);
	});

	test("by invoice, and a finished payment says nothing is unfinished", async () => {
		const r = await cli(["payments", "show", "INV-A"], { env });
		expect(r.code).toBe(0);
		expect(r.stdout).toContain("payment 5001");
		expect(r.stdout).toMatch(/successful: delivery \d+ applied; nothing unfinished/);
	});

	test("--json prints one object, with the effects done and to do", async () => {
		const shown = JSON.parse((await cli(["payments", "show", "5003", "--json"], { env })).stdout);
		const [payment] = shown.payments;
		expect(payment.citybaseId).toBe(5003);
		expect(payment.statuses[0].unfinished).toEqual(["transaction"]);
		expect(payment.statuses[0].effects.map((e: { kind: string; done: boolean }) => [e.kind, e.done])).toEqual([
			["message", true],
			["parent", true],
			["transaction", false],
		]);
		expect(payment.statuses[0].lastError).toEqual(expect.objectContaining({ knackStatus: 400, kind: "transaction" }));
	});

	test("by a Knack record id: the payments that record belongs to, or any record written for them", async () => {
		await h.service.readModel.catchUp();
		const refund = JSON.parse(
			(await cli(["payments", "show", "5002", "--json"], { env })).stdout,
		).payments[0].statuses[0].effects.find((e: { kind: string }) => e.kind === "refund").knackRecordId;
		const byRefund = JSON.parse((await cli(["payments", "show", refund, "--json"], { env })).stdout);
		expect(byRefund.payments.map((p: { citybaseId: number }) => p.citybaseId)).toEqual([5002]);
		const byTransaction = JSON.parse((await cli(["payments", "show", seeded.transaction, "--json"], { env })).stdout);
		expect(byTransaction.payments.map((p: { citybaseId: number }) => p.citybaseId).sort()).toEqual([5001, 5003]);
	});

	test("an unknown payment fails with exit 1", async () => {
		const r = await cli(["payments", "show", "424242"], { env });
		expect(r.code).toBe(1);
		expect(r.stderr).toContain('no payment, invoice or Knack record "424242"');
	});
});

describe("pending", () => {
	test("lists the unfinished delivery with its last error, and exits 3 (something is pending)", async () => {
		const r = await cli(["pending"], { env });
		expect(r.code).toBe(3);
		const rows = r.stdout.trim().split("\n");
		expect(rows[0]).toMatch(/^SEQ\s+RECEIVED \(CT\)\s+PAYMENT/);
		expect(rows[1]).toMatch(
			/5003\s+successful\s+INV-C\s+incomplete\s+1\s+transaction\s+PUT object_180\/638e5bc21370e500241c3e15 400: field_3352 is invalid/,
		);
		expect(rows.at(-1)).toBe("1 pending");
		const asJson = await cli(["pending", "--json"], { env });
		expect(asJson.code).toBe(3);
		expect(JSON.parse(asJson.stdout)).toEqual([
			expect.objectContaining({ citybaseId: 5003, state: "incomplete", attempts: 1 }),
		]);
	});
});
