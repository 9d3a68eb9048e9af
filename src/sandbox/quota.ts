/**
 * Knack's daily plan limit: API calls per app per day. The plan belongs to the account,
 * so every client of an app spends from one count, and the day ends at 00:00 UTC
 * (docs/design.md §3: the reset header counts down to then).
 */

const DAY_MS = 86_400_000;

/** High enough that development without configuration never runs out, yet the count is visible. */
export const DEFAULT_DAILY_LIMIT = 1_000_000;

export interface QuotaState {
	limit: number;
	remaining: number;
	/** Milliseconds until the plan day resets (00:00 UTC), as X-PlanLimit-Reset. */
	resetsInMs: number;
}

/** A control request: without `appId` it applies to every app. */
export interface QuotaChange {
	appId?: string;
	limit?: number;
	/** Calls left today; at most the limit. */
	remaining?: number;
}

export class QuotaError extends Error {}

interface Plan {
	limit: number;
	used: number;
	/** Days since the epoch (UTC) that `used` counts. */
	day: number;
}

const utcDay = (now: number) => Math.floor(now / DAY_MS);

function count(value: unknown, name: string): number | undefined {
	if (value === undefined) return undefined;
	if (!Number.isInteger(value) || (value as number) < 0) throw new QuotaError(`${name} must be a non-negative integer`);
	return value as number;
}

function object(input: unknown, what: string): Record<string, unknown> {
	if (typeof input !== "object" || input === null || Array.isArray(input)) {
		throw new QuotaError(`${what} is a JSON object`);
	}
	return input as Record<string, unknown>;
}

function appIdOf(fields: Record<string, unknown>, allowed: readonly string[]): string | undefined {
	// A misspelt key would otherwise be ignored and the test would pass for the wrong reason.
	const unknown = Object.keys(fields).find((key) => !allowed.includes(key));
	if (unknown !== undefined) throw new QuotaError(`unknown quota option ${unknown}`);
	if (fields.appId !== undefined && typeof fields.appId !== "string") throw new QuotaError("appId must be a string");
	return fields.appId;
}

/** Validates a change received as JSON (control endpoint) or from code. */
export function parseQuotaChange(input: unknown): QuotaChange {
	const fields = object(input, "a quota change");
	const change: QuotaChange = {
		appId: appIdOf(fields, ["appId", "limit", "remaining"]),
		limit: count(fields.limit, "limit"),
		remaining: count(fields.remaining, "remaining"),
	};
	if (change.limit === undefined && change.remaining === undefined) {
		throw new QuotaError("a quota change needs limit or remaining");
	}
	return change;
}

/** The app a reset names, if any; no body at all resets every app. */
export function parseQuotaReset(input: unknown): string | undefined {
	return input === undefined ? undefined : appIdOf(object(input, "a quota reset"), ["appId"]);
}

export class PlanQuota {
	private plans = new Map<string, Plan>();

	/** `limits`: the configured daily limit of each app, restored by `restore`. */
	constructor(
		private readonly limits: ReadonlyMap<string, number>,
		now: number,
	) {
		this.restore(now);
	}

	/** Configured limits and a fresh day for every app. */
	restore(now: number): void {
		for (const [appId, limit] of this.limits) this.plans.set(appId, { limit, used: 0, day: utcDay(now) });
	}

	/** True when the app has no calls left today; such a call is refused and not counted. */
	spent(appId: string, now: number): boolean {
		const plan = this.plan(appId, now);
		return plan.used >= plan.limit;
	}

	charge(appId: string, now: number): void {
		this.plan(appId, now).used += 1;
	}

	state(appId: string, now: number): QuotaState {
		const plan = this.plan(appId, now);
		return {
			limit: plan.limit,
			remaining: Math.max(0, plan.limit - plan.used),
			resetsInMs: (plan.day + 1) * DAY_MS - now,
		};
	}

	all(now: number): Record<string, QuotaState> {
		return Object.fromEntries([...this.plans.keys()].map((appId) => [appId, this.state(appId, now)]));
	}

	headers(appId: string, now: number): Record<string, string> {
		const { limit, remaining, resetsInMs } = this.state(appId, now);
		return {
			"x-planlimit-limit": String(limit),
			"x-planlimit-remaining": String(remaining),
			"x-planlimit-reset": String(resetsInMs),
		};
	}

	/**
	 * A new limit keeps the calls already made today (remaining = limit − used);
	 * `remaining` then sets the count outright. Throws QuotaError.
	 */
	change(change: QuotaChange, now: number): void {
		const plans = this.selected(change.appId, now);
		// Checked for every app first, so that a refused change leaves all of them as they were.
		for (const plan of plans) {
			const limit = change.limit ?? plan.limit;
			if (change.remaining !== undefined && change.remaining > limit) {
				throw new QuotaError(`remaining must be at most the limit (${limit})`);
			}
		}
		for (const plan of plans) {
			if (change.limit !== undefined) plan.limit = change.limit;
			if (change.remaining !== undefined) plan.used = plan.limit - change.remaining;
		}
	}

	/** A new plan day now: remaining = limit. */
	resetDay(appId: string | undefined, now: number): void {
		for (const plan of this.selected(appId, now)) plan.used = 0;
	}

	private selected(appId: string | undefined, now: number): Plan[] {
		if (appId === undefined) return [...this.plans.keys()].map((id) => this.plan(id, now));
		if (!this.plans.has(appId)) throw new QuotaError(`unknown app id ${appId}`);
		return [this.plan(appId, now)];
	}

	/** The app's plan, started afresh when a UTC midnight has passed since it was last used. */
	private plan(appId: string, now: number): Plan {
		const plan = this.plans.get(appId);
		if (plan === undefined) throw new Error(`unknown sandbox app id ${JSON.stringify(appId)}`);
		const today = utcDay(now);
		if (plan.day !== today) {
			plan.day = today;
			plan.used = 0;
		}
		return plan;
	}
}
