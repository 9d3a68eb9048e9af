import type { Grant, QuotaState } from "../projections/knack/budget.ts";
import type { KnackBudgetStore } from "./storage.ts";

/**
 * A Knack budget kept in this process alone, for a store it may not write (a read-only
 * copy): `verify` on a backup still keeps its own calls under the cap and the reserve,
 * but cannot share the cap with the service, which uses its own store.
 */
export function createLocalBudgetStore(): KnackBudgetStore {
	const grants = new Map<string, Grant[]>();
	const quotas = new Map<string, QuotaState>();
	const recent = (app: string, now: number) => {
		const kept = (grants.get(app) ?? []).filter((g) => g.at > now - 60_000);
		grants.set(app, kept);
		return kept;
	};
	return {
		async take(app, now, decide, priority) {
			const quota = quotas.get(app) ?? null;
			const decision = decide({ recent: recent(app, now), quota });
			if (decision.kind === "grant") {
				recent(app, now).push({ at: now, priority });
				if (quota) quotas.set(app, { ...quota, grantedSince: quota.grantedSince + 1 });
			}
			return decision;
		},
		async recordQuota(app, quota) {
			quotas.set(app, { ...quota, grantedSince: 0 });
		},
		async quotas() {
			return new Map(quotas);
		},
		async recentGrants(app, now) {
			return [...recent(app, now)];
		},
	};
}
