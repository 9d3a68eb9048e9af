/**
 * Keeps every Knack call of this process (postbacks, recovery, replays) under Knack's
 * per-app limit (SPEC §3: about 10 requests per second, answered 429 beyond), so a
 * burst of postbacks queues here instead of being refused by Knack.
 *
 * - A rolling window: at most N sends in any second (plus a small margin for the
 *   jitter between here and Knack), not sends spaced 1/N s apart, which a late timer
 *   turns into N+1 in one second.
 * - Earliest deadline first: a postback that arrived earlier gets its next call before
 *   a later postback gets its first, so a burst finishes postbacks one by one instead
 *   of starting them all and letting them all run out of time.
 * - A caller whose deadline passes while it waits is told so at once (false).
 */
export interface RateLimiter {
	/** Resolves true when a request for `app` may be sent, false if `deadline` came first. */
	acquire(app: string, deadline?: number): Promise<boolean>;
}

const WINDOW_MS = 1000;
const MARGIN_MS = 50;
/** Above this rate the limit is treated as no limit (tests and benchmarks raise it out of the way). */
const UNLIMITED = 10_000;

interface Waiter {
	deadline: number;
	order: number;
	resolve: (granted: boolean) => void;
}

export function createRateLimiter(perSecond: number, clock: () => number = Date.now): RateLimiter {
	const capacity = Math.max(1, Math.floor(perSecond));
	const apps = new Map<string, AppQueue>();
	return {
		acquire(app, deadline = Number.POSITIVE_INFINITY) {
			if (perSecond >= UNLIMITED) return Promise.resolve(clock() <= deadline);
			let queue = apps.get(app);
			if (!queue) {
				queue = new AppQueue(capacity, clock);
				apps.set(app, queue);
			}
			return queue.enqueue(deadline);
		},
	};
}

class AppQueue {
	/** send times of the last `capacity` grants, oldest first */
	private sent: number[] = [];
	private waiters: Waiter[] = [];
	private timer: ReturnType<typeof setTimeout> | null = null;
	private arrivals = 0;

	constructor(
		private readonly capacity: number,
		private readonly clock: () => number,
	) {}

	enqueue(deadline: number): Promise<boolean> {
		return new Promise((resolve) => {
			this.waiters.push({ deadline, order: this.arrivals++, resolve });
			this.waiters.sort((a, b) => a.deadline - b.deadline || a.order - b.order);
			this.pump();
		});
	}

	private nextFree(): number {
		if (this.sent.length < this.capacity) return 0;
		return (this.sent[0] as number) + WINDOW_MS + MARGIN_MS;
	}

	private pump() {
		if (this.timer) {
			clearTimeout(this.timer);
			this.timer = null;
		}
		const now = this.clock();
		this.waiters = this.waiters.filter((w) => {
			if (w.deadline >= now) return true;
			w.resolve(false);
			return false;
		});
		while (this.waiters.length > 0 && this.nextFree() <= now) {
			const waiter = this.waiters.shift() as Waiter;
			this.sent.push(now);
			if (this.sent.length > this.capacity) this.sent.shift();
			waiter.resolve(true);
		}
		if (this.waiters.length === 0) return;
		const wake = Math.min(this.nextFree(), ...this.waiters.map((w) => w.deadline + 1));
		this.timer = setTimeout(() => this.pump(), Math.max(0, wake - now));
	}
}
