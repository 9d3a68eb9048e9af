import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { eq } from "drizzle-orm";
import type { StoreProbe } from "../storage.ts";
import type { GroupCommitter } from "./groupCommit.ts";
import { claims } from "./schema.ts";

/**
 * The health probe of a SQLite file. The write inserts a claim row and deletes it in
 * the same transaction: the changed pages are still committed (appended to the WAL and
 * synced), so a full disk or a read-only file fails it exactly as it fails a postback,
 * yet nothing is left behind. A write that is rolled back instead would prove nothing:
 * SQLite never writes the pages of a transaction it rolls back. The key cannot collide
 * with a real claim, which is named after a payment.
 */
const PROBE_KEY = "health-probe";

export function createSqliteProbe(path: string, committer: GroupCommitter): StoreProbe {
	return {
		write: () =>
			committer.write((tx) => {
				tx.insert(claims)
					.values({ key: PROBE_KEY, holder: PROBE_KEY, deliverySeq: 0, claimedAt: 0, expiresAt: 0 })
					.onConflictDoNothing()
					.run();
				tx.delete(claims).where(eq(claims.key, PROBE_KEY)).run();
			}),
		async freeBytes() {
			if (path === ":memory:") return null;
			const fs = await statfs(dirname(path));
			return fs.bavail * fs.bsize;
		},
	};
}
