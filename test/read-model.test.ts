import { afterAll, beforeAll, expect, test } from "bun:test";
import { appIds, type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";

/** docs/design.md §5: the read model is a fold over the log; dropped and rebuilt, it comes out the same. */

const transaction = "5f9000000000000000000001";
const ots = "5f9000000000000000000002";
let h: Harness;

beforeAll(async () => {
	h = await startHarness();
	h.sandbox.put(appIds.STREET_BANNER, "object_180", { id: transaction });
	h.sandbox.put(appIds.STREET_BANNER, "object_164", { id: ots });
	const paid = postback({
		id: 89_000_001,
		status: "successful",
		knackRecordId: transaction,
		bannerType: "OVER_THE_STREET",
		parentRecordId: ots,
	});
	expect((await h.post(paid)).status).toBe(200);
	expect((await h.post(paid)).status).toBe(200);
	expect((await h.post(postback({ id: 89_000_001, status: "refunded", knackRecordId: transaction }))).status).toBe(200);
	expect((await h.post(postback({ id: 89_000_002, status: "voided", knackRecordId: transaction }))).status).toBe(200);
	expect((await h.post("{")).status).toBe(400);
});
afterAll(() => h.stop());

test("one row per payment: latest status, deliveries, and the Knack records written for it", async () => {
	await h.service.readModel.catchUp();
	const row = await h.service.readModel.get(89_000_001);
	expect(row).toMatchObject({ app: "STREET_BANNER", latestStatus: "refunded", deliveries: 3, parentRecordId: ots });
	expect(Object.keys(row?.knackRecords ?? {}).sort()).toEqual([
		"89000001:refunded:message",
		"89000001:refunded:refund",
		"89000001:successful:message",
		"89000001:successful:parent",
		"89000001:successful:transaction",
	]);
	expect(row?.knackRecords["89000001:successful:transaction"]).toBe(transaction);
	expect((await h.service.readModel.get(89_000_002))?.latestStatus).toBe("voided");
});

test("catching up twice folds nothing twice; a rebuild from the log gives the same checksum", async () => {
	await h.service.readModel.catchUp();
	const before = await h.service.readModel.checksum();
	expect((await h.service.readModel.catchUp()).folded).toBe(0);
	const rebuilt = await h.service.readModel.rebuild();
	expect(rebuilt.checksum).toBe(before);
	expect(rebuilt.folded).toBe(await h.service.store.lastSeq());
	expect((await h.service.readModel.get(89_000_001))?.deliveries).toBe(3);
});
