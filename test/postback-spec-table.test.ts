import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { appIds, type Harness, startHarness } from "./support/harness.ts";
import { type PaymentSpec, postback } from "./support/payloads.ts";
import { smartMobility, streetBanner } from "./support/specFieldIds.ts";

/**
 * docs/design.md §4, row by row: for each app × status × banner type × field map, the exact
 * Knack calls (method, object, record, body) a postback makes through the real HTTP
 * path, and the answer. Field ids come from the table in docs/design.md §4 as the
 * tests restate it (`test/support/specFieldIds.ts`), not from the service's field map
 * module.
 */

const recordedAt = "2025-08-18T19:17:00Z"; // 14:17 in Austin (CDT)
const date = "08/18/2025 14:17";

const ids = {
	sbTransaction: "5f1000000000000000000001",
	sbOts: "5f1000000000000000000002",
	sbLpb: "5f1000000000000000000003",
	smTransaction: "5f2000000000000000000001",
	smBlockParty: "5f2000000000000000000002",
};

type Call = { method: string; objectKey: string | null; recordId: string | null; body: unknown };

const fieldMapCases = {
	UAT: {
		environment: "development",
		sbMessage: streetBanner.UAT.message,
		sbTransaction: streetBanner.UAT.transaction,
		sbRefund: streetBanner.UAT.refund,
	},
	PRODUCTION: {
		environment: "production",
		sbMessage: streetBanner.PRODUCTION.message,
		sbTransaction: streetBanner.PRODUCTION.transaction,
		sbRefund: streetBanner.PRODUCTION.refund,
	},
} as const;

const smMessage = smartMobility.message;

function message(fields: readonly string[], objectKey: string, spec: PaymentSpec & { invoice: string }): Call {
	const [invoice, connected, created, status, citybaseId] = fields as [string, string, string, string, string];
	return {
		method: "POST",
		objectKey,
		recordId: null,
		body: {
			[invoice]: spec.invoice,
			[connected]: spec.invoice,
			[created]: date,
			[status]: spec.status,
			[citybaseId]: spec.id,
		},
	};
}

for (const [mapName, map] of Object.entries(fieldMapCases)) {
	describe(`docs/design.md §4 with the ${mapName} field map`, () => {
		let h: Harness;
		let nextId = mapName === "UAT" ? 81_000_000 : 82_000_000;

		beforeAll(async () => {
			h = await startHarness({ environment: map.environment, startAt: recordedAt });
			const r = map.sbRefund;
			h.sandbox.put(appIds.STREET_BANNER, "object_161", { id: ids.sbLpb, field_2796: "Pending Payment" });
			h.sandbox.put(appIds.STREET_BANNER, "object_164", { id: ids.sbOts, field_2862: "Pending Payment" });
			h.sandbox.put(appIds.STREET_BANNER, "object_180", {
				id: ids.sbTransaction,
				[map.sbTransaction[0]]: "INVOICED",
				[r.customer_name]: "Chia B",
				[r.event_name]: "My big winter event",
				[r.type]: "Lamppost",
				[r.sub_description]: "INV2022-100250 - convention center",
				[r.lpb]: [{ id: ids.sbLpb, identifier: "486" }],
				[r.ots]: [],
			});
			h.sandbox.put(appIds.SMART_MOBILITY, "object_36", { id: ids.smBlockParty, field_704: "Pending Payment" });
			h.sandbox.put(appIds.SMART_MOBILITY, "object_39", { id: ids.smTransaction, field_826: "INVOICED" });
		});
		afterAll(() => h.stop());

		async function run(spec: Omit<PaymentSpec, "id">, raw?: (body: string) => string) {
			const full = { invoice: "INV2025-100001", ...spec, id: nextId++ };
			h.sandbox.clearCalls();
			const text = JSON.stringify(postback(full));
			const response = await h.post(raw ? raw(text) : text);
			const calls = h.sandbox.calls().map((c) => ({
				method: c.method,
				objectKey: c.objectKey,
				recordId: c.recordId ?? null,
				body: c.body,
			}));
			return { spec: full, status: response.status, text: await response.text(), calls };
		}

		const sb = { app: "STREET_BANNER" as const, knackRecordId: ids.sbTransaction };
		const sm = { app: "SMART_MOBILITY" as const, knackRecordId: ids.smTransaction };
		const sbTransactionPut = (status: string): Call => ({
			method: "PUT",
			objectKey: "object_180",
			recordId: ids.sbTransaction,
			body: { [map.sbTransaction[0]]: status, [map.sbTransaction[1]]: date },
		});
		const smTransactionPut = (status: string): Call => ({
			method: "PUT",
			objectKey: "object_39",
			recordId: ids.smTransaction,
			body: { field_826: status, field_827: date },
		});

		test("Street Banner, over-the-street, successful: message, OTS reservation approved, transaction PAID", async () => {
			const r = await run({ ...sb, status: "successful", bannerType: "OVER_THE_STREET", parentRecordId: ids.sbOts });
			expect(r.status).toBe(200);
			expect(r.text).toBe("Payment status updated");
			expect(r.calls).toEqual([
				message(map.sbMessage, "object_181", r.spec),
				{
					method: "PUT",
					objectKey: "object_164",
					recordId: ids.sbOts,
					body: { field_2862: "Approved", field_2858: true, field_3144: date },
				},
				sbTransactionPut("PAID"),
			]);
		});

		test("Street Banner, lamppost, successful: message, LPB reservation approved, transaction PAID", async () => {
			const r = await run({ ...sb, status: "successful", bannerType: "LAMPPOST", parentRecordId: ids.sbLpb });
			expect(r.status).toBe(200);
			expect(r.calls).toEqual([
				message(map.sbMessage, "object_181", r.spec),
				{
					method: "PUT",
					objectKey: "object_161",
					recordId: ids.sbLpb,
					body: { field_2796: "Approved", field_2808: true, field_2809: date },
				},
				sbTransactionPut("PAID"),
			]);
		});

		test("Street Banner, successful, no banner_type: message and transaction only, with a warning", async () => {
			const r = await run({ ...sb, status: "successful", parentRecordId: ids.sbOts });
			expect(r.status).toBe(200);
			expect(r.calls).toEqual([message(map.sbMessage, "object_181", r.spec), sbTransactionPut("PAID")]);
			expect(
				h.logs.some((l) => l.includes('"level":"warn"') && l.includes("banner_type") && l.includes(String(r.spec.id))),
			).toBe(true);
		});

		test("Street Banner, no knack_app attribute: defaults to Street Banner", async () => {
			const r = await run({ knackRecordId: ids.sbTransaction, status: "voided" });
			expect(r.status).toBe(200);
			expect(r.calls).toEqual([message(map.sbMessage, "object_181", r.spec), sbTransactionPut("VOID")]);
		});

		test("Street Banner, voided: message, transaction VOID", async () => {
			const r = await run({ ...sb, status: "voided", bannerType: "LAMPPOST" });
			expect(r.status).toBe(200);
			expect(r.calls).toEqual([message(map.sbMessage, "object_181", r.spec), sbTransactionPut("VOID")]);
		});

		test("Street Banner, refunded: message, read the transaction, insert a refund record", async () => {
			// CityBase sends 6000.0; the Flask service wrote Python's str of it, "-6000.0".
			const r = await run({ ...sb, status: "refunded", totalAmount: 6000 }, (t) =>
				t.replace('"total_amount":6000', '"total_amount":6000.0'),
			);
			expect(r.status).toBe(200);
			expect(r.text).toBe("Payment status updated");
			const f = map.sbRefund;
			expect(r.calls).toEqual([
				message(map.sbMessage, "object_181", r.spec),
				{ method: "GET", objectKey: "object_180", recordId: ids.sbTransaction, body: null },
				{
					method: "POST",
					objectKey: "object_180",
					recordId: null,
					body: {
						[map.sbTransaction[0]]: "REFUND",
						[f.invoice_id]: r.spec.invoice,
						[f.total_amount]: "-6000.0",
						[f.created_date]: date,
						[map.sbTransaction[1]]: date,
						[f.customer_name]: "Chia B",
						[f.event_name]: "My big winter event",
						[f.type]: "Lamppost",
						[f.lpb]: ids.sbLpb,
						[f.ots]: null,
						[f.sub_description]: "INV2022-100250 - convention center",
					},
				},
			]);
		});

		test("Smart Mobility, successful: message, block party permit issued, transaction PAID", async () => {
			const r = await run({ ...sm, status: "successful", parentRecordId: ids.smBlockParty });
			expect(r.status).toBe(200);
			expect(r.calls).toEqual([
				message(smMessage, "object_38", r.spec),
				{
					method: "PUT",
					objectKey: "object_36",
					recordId: ids.smBlockParty,
					body: { field_704: "Complete - Permit Issued", field_845: true, field_844: date },
				},
				smTransactionPut("PAID"),
			]);
		});

		test("Smart Mobility, voided: message, transaction VOID", async () => {
			const r = await run({ ...sm, status: "voided" });
			expect(r.status).toBe(200);
			expect(r.calls).toEqual([message(smMessage, "object_38", r.spec), smTransactionPut("VOID")]);
		});

		test("Smart Mobility, refunded: no refund record, the transaction gets REFUND", async () => {
			const r = await run({ ...sm, status: "refunded" });
			expect(r.status).toBe(200);
			expect(r.calls).toEqual([message(smMessage, "object_38", r.spec), smTransactionPut("REFUND")]);
		});

		for (const [app, fields, objectKey, extra] of [
			["STREET_BANNER", map.sbMessage, "object_181", sb],
			["SMART_MOBILITY", smMessage, "object_38", sm],
		] as const) {
			test(`${app}, an unknown status: only the message is written, and the answer says so`, async () => {
				const r = await run({ ...extra, status: "failed" });
				expect(r.status).toBe(200);
				expect(r.text).toContain('"failed"');
				expect(r.text).toContain("no transaction or reservation was changed");
				expect(r.calls).toEqual([message(fields, objectKey, r.spec)]);
			});
		}
	});
}
