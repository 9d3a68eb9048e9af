import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Grant, Priority, QuotaState } from "../../projections/knack/budget.ts";
import type { KnackBudgetStore } from "../storage.ts";
import { knackGrants, knackQuota } from "./budgetSchema.ts";
import type { OpenDatabase } from "./database.ts";
import type { Transaction } from "./groupCommit.ts";
import { budgetLockFor } from "./locks.ts";

/** Grants are kept this long: the decision needs a second, the estimate of live traffic a minute. */
const KEEP_MS = 60_000;

const toQuota = (row: typeof knackQuota.$inferSelect): QuotaState => {
	const { app: _app, ...quota } = row;
	return quota;
};

/**
 * The shared Knack budget in the PostgreSQL database. `take` is one short transaction
 * that first takes the app's advisory lock, so every instance's takers of one app run one
 * after the other. It commits with synchronous_commit=off, the honest equivalent of the
 * SQLite adapter's synchronous=OFF budget connection: a grant is coordination, not
 * history, and must not wait for the flush each event waits for. The lock is released
 * only once the commit is visible to the next taker, so the cap holds across hosts; a
 * server crash loses at most the last grants, which only makes the next second fuller.
 */
export function createPostgresBudgetStore({ db }: OpenDatabase): KnackBudgetStore {
	return {
		take: (app, now, decide, priority) =>
			db.transaction(async (tx) => {
				await tx.execute(sql`set local synchronous_commit = off`);
				await tx.execute(budgetLockFor(app));
				const recent = await grantsSince(tx, app, now - KEEP_MS);
				const [quotaRow] = await tx.select().from(knackQuota).where(eq(knackQuota.app, app));
				const decision = decide({ recent, quota: quotaRow ? toQuota(quotaRow) : null });
				if (decision.kind !== "grant") return decision;
				await tx.insert(knackGrants).values({ app, priority, at: now });
				if (quotaRow) {
					await tx
						.update(knackQuota)
						.set({ grantedSince: sql`${knackQuota.grantedSince} + 1` })
						.where(eq(knackQuota.app, app));
				}
				// Pruned as it goes, so the table stays a minute of grants whatever the uptime.
				await tx.delete(knackGrants).where(and(eq(knackGrants.app, app), lt(knackGrants.at, now - KEEP_MS)));
				return decision;
			}),
		async recordQuota(app, quota) {
			const row = { ...quota, grantedSince: 0 };
			await db
				.insert(knackQuota)
				.values({ app, ...row })
				.onConflictDoUpdate({ target: knackQuota.app, set: row });
		},
		async quotas() {
			const rows = await db.select().from(knackQuota);
			return new Map(rows.map((row) => [row.app, toQuota(row)]));
		},
		recentGrants: (app, now) => grantsSince(db, app, now - KEEP_MS),
	};
}

async function grantsSince(reader: OpenDatabase["db"] | Transaction, app: string, since: number): Promise<Grant[]> {
	const rows = await reader
		.select({ at: knackGrants.at, priority: knackGrants.priority })
		.from(knackGrants)
		.where(and(eq(knackGrants.app, app), gt(knackGrants.at, since)));
	return rows.map((g) => ({ at: g.at, priority: g.priority as Priority }));
}
