/**
 * Spaces Knack requests per app so that everything in this process that calls Knack
 * (postbacks, recovery, replays) together stays under Knack's per-app limit of about
 * 10 requests/second (SPEC §3): a burst of postbacks queues here instead of being
 * answered 429 by Knack.
 */
export interface RateLimiter {
	/** Resolves when a request for `app` may be sent; false when that would be after `deadline`. */
	acquire(app: string, deadline?: number): Promise<boolean>;
}

export function createRateLimiter(perSecond: number, clock: () => number = Date.now): RateLimiter {
	const interval = 1000 / perSecond;
	const nextSlot = new Map<string, number>();
	return {
		async acquire(app, deadline = Number.POSITIVE_INFINITY) {
			const now = clock();
			const slot = Math.max(now, nextSlot.get(app) ?? now);
			if (slot > deadline) return false;
			nextSlot.set(app, slot + interval);
			if (slot > now) await Bun.sleep(slot - now);
			// A late timer must not let the next request follow this one too closely.
			const sent = clock();
			if (sent > slot) nextSlot.set(app, Math.max(nextSlot.get(app) ?? 0, sent + interval));
			return true;
		},
	};
}
