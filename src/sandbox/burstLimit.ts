/**
 * Knack's burst limit: at most `limit` requests per app in any rolling second. Keyed by
 * app id alone, so every client of an app, in any process, shares the one cap, as they
 * do at Knack.
 */

const WINDOW_MS = 1000;

/** Far above anything a test or benchmark sends, so in effect off, but the headers still count. */
export const DEFAULT_RATE_LIMIT_PER_SECOND = 1_000_000;

export class BurstLimit {
	private windows = new Map<string, number[]>();

	constructor(private readonly limit: number) {}

	/** Counts the request and answers true, or answers false (and counts nothing) when the app is over the limit. */
	admit(appId: string, now: number): boolean {
		const times = this.window(appId, now);
		if (times.length >= this.limit) return false;
		times.push(now);
		return true;
	}

	/** The X-RateLimit headers as of `now`, counting nothing. */
	headers(appId: string, now: number): Record<string, string> {
		const times = this.window(appId, now);
		const oldest = times[0] ?? now;
		return {
			"x-ratelimit-limit": String(this.limit),
			"x-ratelimit-remaining": String(Math.max(0, this.limit - times.length)),
			// Epoch seconds (as Knack is reported to send), rounded up so that waiting
			// until then always frees a slot.
			"x-ratelimit-reset": String(Math.ceil((oldest + WINDOW_MS) / 1000)),
		};
	}

	clear(): void {
		this.windows.clear();
	}

	/** The app's admitted request times within the last second, oldest first. */
	private window(appId: string, now: number): number[] {
		let times = this.windows.get(appId);
		if (times === undefined) {
			times = [];
			this.windows.set(appId, times);
		}
		let expired = 0;
		while (expired < times.length && (times[expired] as number) <= now - WINDOW_MS) expired++;
		if (expired > 0) times.splice(0, expired);
		return times;
	}
}
