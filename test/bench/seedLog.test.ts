import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedLog } from "../../bench/lib/seedLog.ts";
import { bodyProtection } from "../../src/events/bodyCipher.ts";
import { parseDelivery } from "../../src/events/payload.ts";
import { EventTypes } from "../../src/events/types.ts";
import { exportLine, parseExportLine } from "../../src/storage/exportFormat.ts";
import { openStorage } from "../../src/storage/open.ts";
import { keyring } from "../support/keys.ts";

/** The bench's seeded log holds only what the service itself would have written. */

const withStore = async (keys: boolean, work: (storage: Awaited<ReturnType<typeof openStorage>>) => Promise<void>) => {
	const dir = mkdtempSync(join(tmpdir(), "citybase-seed-"));
	const storage = await openStorage({
		databasePath: join(dir, "seed.sqlite"),
		eventLogKeys: keys ? keyring(["k1", 1]) : null,
	});
	try {
		await work(storage);
	} finally {
		await storage.close();
		rmSync(dir, { recursive: true, force: true });
	}
};

test("every seeded event has its type's shape, every body parses to the payment or reason recorded", async () => {
	await withStore(false, async (storage) => {
		// Deliveries 10 minutes apart, so that some reach recovery's 72 hours and are dead-lettered within 20,000 events.
		const result = await seedLog(storage, 20_000, { endAt: Date.parse("2026-01-01T00:00:00Z"), spacingMs: 600_000 });
		expect(result.events).toBeGreaterThanOrEqual(20_000);
		expect(await storage.events.lastSeq()).toBe(result.events);
		// No person repairs and no process dies in it, so no operator action and no takeover's doubt.
		const absent = new Set<string>([EventTypes.operatorAction, EventTypes.effectDoubted]);
		for (const type of Object.values(EventTypes)) {
			if (!absent.has(type)) expect(result.byType.get(type) ?? 0).toBeGreaterThan(0);
		}

		const bodies = new Map<number, Uint8Array>();
		for await (const exported of storage.transfer.events()) {
			// The import's own check: each event's data has its type's shape.
			const event = parseExportLine(exportLine(exported), exported.seq);
			const data = JSON.parse(event.data ?? "null");
			if (event.type === EventTypes.received) bodies.set(event.seq, event.body as Uint8Array);
			else if (event.type === EventTypes.accepted || event.type === EventTypes.rejected) {
				const verdict = parseDelivery(bodies.get(event.deliverySeq as number) as Uint8Array);
				expect(verdict.accepted ? { payment: verdict.payment } : { reason: verdict.reason }).toEqual(data);
				if (verdict.accepted) expect(event.citybaseId).toBe(verdict.payment.citybaseId);
			}
		}
		const statuses = new Set((await storage.queries.listDeliveries({}, 0)).map((d) => d.status));
		expect([...statuses].sort()).toEqual([null, "refunded", "successful", "unknown", "voided"]);
		const counts = await storage.events.counts();
		expect(counts.incomplete).toBe(result.pending);
		expect(result.pending).toBeGreaterThan(0);
		expect(counts.deadLettered).toBe(result.byType.get(EventTypes.deadLettered) as number);
	});
});

test("a store with keys seals the seeded bodies", async () => {
	await withStore(true, async (storage) => {
		await seedLog(storage, 200);
		for await (const event of storage.transfer.events()) {
			if (event.body) expect(bodyProtection(event.body).state).toBe("encrypted");
		}
	});
});
