import { Database } from "bun:sqlite";
import { and, eq, gt, lt, sql } from "drizzle-orm";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import type { Grant, Priority, QuotaState } from "../../projections/knack/budget.ts";
import type { KnackBudgetStore } from "../storage.ts";
import { knackGrants, knackQuota } from "./budgetSchema.ts";
import { BUSY_TIMEOUT_MS, type OpenDatabase } from "./database.ts";

/** Grants are kept this long: the decision needs a second, the estimate of live traffic a minute. */
const KEEP_MS = 60_000;

/**
 * The shared Knack budget in the SQLite file. It has a connection of its own with
 * synchronous=OFF: a grant is coordination, not history, and must not cost the fsync
 * each event pays (ten or more a second). WAL keeps the order of commits, so a crash
 * loses at most the last grants, which only makes the next second a little fuller.
 */
export function createSqliteBudgetStore(open: OpenDatabase): { budget: KnackBudgetStore; close(): void } {
	// An in-memory database cannot be opened twice: there the budget shares the connection.
	const own = open.sqlite.filename !== ":memory:" && open.sqlite.filename !== "";
	const sqlite = own ? new Database(open.sqlite.filename, { strict: true }) : open.sqlite;
	if (own) {
		sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
		sqlite.run("PRAGMA synchronous = OFF");
	}
	const db = drizzle({ client: sqlite });
	const toQuota = (row: typeof knackQuota.$inferSelect): QuotaState => {
		const { app: _app, ...quota } = row;
		return quota;
	};

	const budget: KnackBudgetStore = {
		async take(app, now, decide, priority) {
			return db.transaction(
				(tx) => {
					const recent = grantsSince(tx, app, now - KEEP_MS);
					const quotaRow = tx.select().from(knackQuota).where(eq(knackQuota.app, app)).get();
					const decision = decide({ recent, quota: quotaRow ? toQuota(quotaRow) : null });
					if (decision.kind !== "grant") return decision;
					tx.insert(knackGrants).values({ app, priority, at: now }).run();
					if (quotaRow) {
						tx.update(knackQuota)
							.set({ grantedSince: sql`${knackQuota.grantedSince} + 1` })
							.where(eq(knackQuota.app, app))
							.run();
					}
					// Pruned as it goes, so the table stays a minute of grants whatever the uptime.
					tx.delete(knackGrants)
						.where(and(eq(knackGrants.app, app), lt(knackGrants.at, now - KEEP_MS)))
						.run();
					return decision;
				},
				{ behavior: "immediate" },
			);
		},
		async recordQuota(app, quota) {
			const row = { ...quota, grantedSince: 0 };
			db.insert(knackQuota)
				.values({ app, ...row })
				.onConflictDoUpdate({ target: knackQuota.app, set: row })
				.run();
		},
		async quotas() {
			return new Map(
				db
					.select()
					.from(knackQuota)
					.all()
					.map((row) => [row.app, toQuota(row)]),
			);
		},
		async recentGrants(app, now) {
			return grantsSince(db, app, now - KEEP_MS);
		},
	};
	return { budget, close: () => own && sqlite.close() };
}

function grantsSince(db: Pick<BunSQLiteDatabase, "select">, app: string, since: number): Grant[] {
	return db
		.select({ at: knackGrants.at, priority: knackGrants.priority })
		.from(knackGrants)
		.where(and(eq(knackGrants.app, app), gt(knackGrants.at, since)))
		.all()
		.map((g) => ({ at: g.at, priority: g.priority as Priority }));
}
