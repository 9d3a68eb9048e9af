import { afterAll, beforeAll, expect, test } from "bun:test";
import { objects } from "../../src/projections/knack/fieldMaps.ts";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { startKnackSandbox } from "../../src/sandbox/knack.ts";
import { type Harness, startHarness } from "../support/harness.ts";
import { checkSandbox, datesBetween, existingRecordIds } from "./check.ts";
import { appId, fields, SandboxControl, seedAll } from "./sandbox.ts";
import { drawPayments, type Payment, postbackBody, random } from "./scenario.ts";

/**
 * The chaos test is only as good as its check: after a calm run it must find Knack
 * exactly right, and it must notice a duplicate, a lost write and a wrong state.
 */
let h: Harness;
let control: SandboxControl;
let payments: Payment[];
let before: Set<string>;
let dates: Set<string>;

beforeAll(async () => {
	const sandbox = startKnackSandbox(defaultSandboxOptions());
	control = new SandboxControl(sandbox.url.replace(/\/v1$/, ""));
	payments = drawPayments(60, random(7));
	await seedAll(control, payments);
	before = await existingRecordIds(control);
	h = await startHarness({ sandbox });
	const startedAt = Date.now();
	for (const p of payments) {
		for (const status of p.case.statuses) expect((await h.post(postbackBody(p, status))).status).toBe(200);
	}
	dates = datesBetween(startedAt, Date.now());
});
afterAll(async () => {
	await h.stop();
	await h.sandbox.stop();
});

const statuses = () => payments.flatMap((p) => p.case.statuses);

test("a run without faults is found exactly right, every case included", async () => {
	const result = await checkSandbox(control, payments, dates, before);
	expect(result.problems).toEqual([]);
	expect(result.messages).toMatchObject({ expected: statuses().length, ok: statuses().length });
	expect(result.transactions.ok).toBe(payments.length);
	expect(result.reservations.ok).toBe(payments.length);
	expect(result.refunds.ok).toBeGreaterThan(0);
	expect(result.strays).toBe(0);
});

test("a duplicated message, a lost refund and a transaction left behind are each found", async () => {
	const first = payments[0] as Payment;
	const refunded = payments.find((p) => p.case.app === "STREET_BANNER" && p.case.statuses.includes("refunded"));
	const paid = payments.find((p) => p.case.statuses.includes("successful"));
	if (!refunded || !paid) throw new Error("seed 7 draws a Street Banner refund and a successful payment");
	const m = fields[first.case.app].messages;
	const message = (await control.records(first.case.app, objects[first.case.app].messages)).find(
		(r) => r[`${m.citybase_id}_raw`] === first.id,
	);
	const raw = Object.entries(message ?? {}).filter(([key]) => key.endsWith("_raw"));
	h.sandbox.put(
		appId(first.case.app),
		objects[first.case.app].messages,
		Object.fromEntries(raw.map(([key, value]) => [key.slice(0, -"_raw".length), value])),
	);
	const refund = fields.STREET_BANNER.refund;
	const refundRecord = (await control.records("STREET_BANNER", objects.STREET_BANNER.transactions)).find(
		(r) => r[`${refund?.invoice_id}_raw`] === refunded.invoice,
	);
	h.sandbox.put(appId("STREET_BANNER"), objects.STREET_BANNER.transactions, {
		id: refundRecord?.id,
		[refund?.invoice_id ?? ""]: "someone else's",
	});
	const t = fields[paid.case.app].transactions;
	h.sandbox.put(appId(paid.case.app), objects[paid.case.app].transactions, {
		id: paid.transactionId,
		[t.transaction_status]: "INVOICED",
	});

	const result = await checkSandbox(control, payments, dates, before);
	expect(result.messages.duplicated).toBe(1);
	expect(result.refunds.missing).toBe(1);
	expect(result.transactions.wrong).toBe(1);
	expect(result.strays).toBe(1);
	expect(result.problems.join("\n")).toContain(`payment ${first.id}`);
});
