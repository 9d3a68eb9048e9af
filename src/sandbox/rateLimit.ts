/** Knack's burst limit: at most `limit` requests per app in any rolling second. */
export interface RateDecision {
	allowed: boolean;
	headers: Record<string, string>;
}

const WINDOW_MS = 1000;

export class RateLimiter {
	private windows = new Map<string, number[]>();

	constructor(private readonly limit: number) {}

	admit(appId: string, now: number): RateDecision {
		let times = this.windows.get(appId);
		if (times === undefined) {
			times = [];
			this.windows.set(appId, times);
		}
		let expired = 0;
		while (expired < times.length && (times[expired] as number) <= now - WINDOW_MS) expired++;
		if (expired > 0) times.splice(0, expired);
		const allowed = times.length < this.limit;
		if (allowed) times.push(now);
		const oldest = times[0] ?? now;
		return {
			allowed,
			headers: {
				"x-ratelimit-limit": String(this.limit),
				"x-ratelimit-remaining": String(this.limit - times.length),
				// Epoch seconds (as Knack is reported to send), rounded up so that waiting
				// until then always frees a slot.
				"x-ratelimit-reset": String(Math.ceil((oldest + WINDOW_MS) / 1000)),
			},
		};
	}

	clear(): void {
		this.windows.clear();
	}
}
