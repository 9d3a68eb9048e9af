import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { receivePostback } from "../../src/application/postbacks.ts";
import { createLogger } from "../../src/logging/logger.ts";
import type { KnackClient } from "../../src/projections/knack/client.ts";
import { createProjector } from "../../src/projections/knack/run.ts";
import { openDatabase } from "../../src/storage/sqlite/database.ts";
import { sqliteStorage } from "../../src/storage/sqlite/index.ts";
import { postback } from "../support/payloads.ts";
import { walCommits } from "../support/walCommits.ts";

/**
 * How many durable commits a postback waits for, counted in the WAL of a real SQLite
 * file: each is an fsync on the answer's path. Knack is a stand-in that accepts every
 * write at once (the real client's shared budget would add commits of its own).
 */

const answered = <T>(value: T) => ({ ok: true as const, status: 200, value, durationMs: 1 });

function acceptingKnack(writes: string[]): KnackClient {
	return {
		create: async (_app, objectKey) => {
			writes.push(`POST ${objectKey}`);
			return answered({ id: `r${writes.length}` });
		},
		update: async (_app, objectKey, recordId) => {
			writes.push(`PUT ${objectKey}`);
			return answered({ id: recordId });
		},
		get: async (_app, _objectKey, recordId) => answered({ id: recordId }),
		find: async () => answered([]),
		list: async () => answered({ records: [], totalPages: 1, totalRecords: 0 }),
	};
}

test("a fresh postback waits for two commits, its append (which takes the claim) and its outcomes; a redelivery too", async () => {
	const dir = mkdtempSync(join(tmpdir(), "citybase-commits-"));
	const path = join(dir, "events.sqlite");
	const opened = openDatabase(path);
	const storage = sqliteStorage(opened, path);
	try {
		// No checkpoint may reset the WAL while the commits are counted.
		opened.run("PRAGMA wal_autocheckpoint = 0");
		const store = storage.events;
		const writes: string[] = [];
		const logger = createLogger({ sinks: [] });
		const projector = createProjector({
			store,
			knack: acceptingKnack(writes),
			fieldMap: "UAT",
			leaseMs: 5_000,
			logger,
		});
		const deps = { store, projector, logger, clock: Date.now, deadlineMs: 3_000 };
		const body = new TextEncoder().encode(
			JSON.stringify(
				postback({
					id: 4201,
					status: "successful",
					bannerType: "LAMPPOST",
					parentRecordId: "638e5bb01370e500241c3e12",
				}),
			),
		);
		const deliver = async () => {
			const before = walCommits(`${path}-wal`);
			const answer = await receivePostback(deps, {
				body,
				contentType: "application/json",
				remoteAddress: null,
				requestId: null,
			});
			return { outcome: answer.outcome, commits: walCommits(`${path}-wal`) - before };
		};

		expect(await deliver()).toEqual({ outcome: "applied", commits: 2 });
		expect(writes.length).toBeGreaterThan(0);
		expect(await deliver()).toEqual({ outcome: "duplicate", commits: 2 });
	} finally {
		await storage.close();
		rmSync(dir, { recursive: true, force: true });
	}
});
