import type { Grant, QuotaState } from "../projections/knack/budget.ts";
import { command, type Dialect, type Executor, lock, query } from "./sql.ts";
import type { KnackBudgetStore } from "./storage.ts";

/** Grants are kept this long: the decision needs a second, the estimate of live traffic a minute. */
const KEEP_MS = 60_000;

const QUOTA = `plan_limit as "planLimit", plan_remaining as "planRemaining", plan_reset_at as "planResetAt",
	rate_limit as "rateLimit", rate_remaining as "rateRemaining", rate_reset_at as "rateResetAt",
	seen_at as "seenAt", granted_since as "grantedSince"`;

const grantsSince = (app: string, since: number) =>
	query<Grant>("select at, priority from knack_grants where app = ? and at > ?", app, since);

/**
 * The Knack budget every process shares. `take` is one short transaction under the
 * app's budget lock (SQLite: the write lock), so no two takers both see the last slot of
 * a second free. A grant is coordination, not history: it is committed without the flush
 * to disk each event waits for (SQLite: a connection of its own with synchronous=OFF;
 * PostgreSQL: synchronous_commit=off). A crash loses at most the last grants, which only
 * makes the next second a little fuller.
 */
export function createBudgetStore(exec: Executor, d: Dialect): KnackBudgetStore {
	return {
		take: (app, now, decide, priority) =>
			exec.transaction(function* () {
				yield* lock(d, { budget: app });
				const recent = yield* grantsSince(app, now - KEEP_MS);
				const [quota] = yield* query<QuotaState>(`select ${QUOTA} from knack_quota where app = ?`, app);
				const decision = decide({ recent, quota: quota ?? null });
				if (decision.kind !== "grant") return decision;
				yield* command("insert into knack_grants (app, priority, at) values (?, ?, ?)", app, priority, now);
				if (quota) yield* command("update knack_quota set granted_since = granted_since + 1 where app = ?", app);
				// Pruned as it goes, so the table stays a minute of grants whatever the uptime.
				yield* command("delete from knack_grants where app = ? and at < ?", app, now - KEEP_MS);
				return decision;
			}),
		recordQuota: (app, q) =>
			exec.run(
				command(
					`insert into knack_quota (app, plan_limit, plan_remaining, plan_reset_at, rate_limit, rate_remaining,
					 rate_reset_at, seen_at, granted_since) values (?, ?, ?, ?, ?, ?, ?, ?, 0)
					 on conflict (app) do update set plan_limit = excluded.plan_limit, plan_remaining = excluded.plan_remaining,
					 plan_reset_at = excluded.plan_reset_at, rate_limit = excluded.rate_limit,
					 rate_remaining = excluded.rate_remaining, rate_reset_at = excluded.rate_reset_at,
					 seen_at = excluded.seen_at, granted_since = 0`,
					app,
					q.planLimit,
					q.planRemaining,
					q.planResetAt,
					q.rateLimit,
					q.rateRemaining,
					q.rateResetAt,
					q.seenAt,
				),
			),
		async quotas() {
			const rows = await exec.query<QuotaState & { app: string }>(`select app, ${QUOTA} from knack_quota`);
			return new Map(rows.map(({ app, ...quota }) => [app, quota]));
		},
		recentGrants: (app, now) => exec.run(grantsSince(app, now - KEEP_MS)),
	};
}
