import type { KnackBudgetStore } from "../../storage/storage.ts";
import { type BudgetPolicy, type Decision, decide, type Priority, priorityRank } from "./budget.ts";

/**
 * Keeps every Knack call, of every process that shares the store, under Knack's per-app
 * limit and the daily quota (docs/design.md §3), as `budget.ts` decides.
 *
 * - The store decides: each call takes a grant in a short transaction of the shared
 *   budget, so two service instances and a replay beside them stay at the cap together.
 * - In process, callers queue per app by class (live, recovery, operator), then earliest
 *   deadline first, so a burst finishes postbacks one by one instead of starting them
 *   all and letting them all run out of time. Only the head of the queue asks the store;
 *   told to wait, it sleeps until the slot frees (the fast path: no round trip before
 *   then) unless a caller of a higher class arrives.
 * - A caller whose deadline passes while it waits is told so at once; one the daily
 *   quota refuses is told so, with when it resets, and is never retried in a loop.
 * - A grant is counted from the moment the store was asked, but its call goes out only
 *   once the store has answered. On a loaded machine that answer can come 100 ms and more
 *   later, and a call sent that late can land in a second that is already full at Knack
 *   (11 in a second was seen beside a CPU hog). So a grant answered more than
 *   STALE_GRANT_MS late is not used: it stays counted (a slot lost, never the cap) and the
 *   caller asks again. budget.ts's MARGIN_MS covers the lateness a used grant may have.
 */
export type Admission =
	| { ok: true }
	| { ok: false; reason: "deadline" }
	| { ok: false; reason: "quota"; why: "exhausted" | "reserve"; resetAt: number | null; remaining: number };

export interface RateLimiter {
	acquire(app: string, options: { deadline?: number; priority: Priority }): Promise<Admission>;
}

/** Above this rate the limit is treated as no limit (tests and benchmarks raise it out of the way). */
const UNLIMITED = 10_000;

/** A grant the store answered later than this after it was asked is not used (see above); under MARGIN_MS. */
export const STALE_GRANT_MS = 50;
/**
 * Stale grants in a row one caller lets go before it takes one anyway: a store that is
 * slow on every answer (a database far away) must slow Knack calls, not stop them.
 */
const MAX_STALE_GRANTS = 3;

interface Waiter {
	priority: Priority;
	deadline: number;
	order: number;
	staleGrants: number;
	resolve(admission: Admission): void;
	reject(error: unknown): void;
}

export function createRateLimiter(options: {
	budget: KnackBudgetStore;
	policy: BudgetPolicy;
	clock?: () => number;
}): RateLimiter {
	const clock = options.clock ?? Date.now;
	const apps = new Map<string, AppQueue>();
	return {
		acquire(app, { deadline = Number.POSITIVE_INFINITY, priority }) {
			if (options.policy.perSecond >= UNLIMITED) {
				return Promise.resolve(clock() <= deadline ? { ok: true } : { ok: false, reason: "deadline" });
			}
			let queue = apps.get(app);
			if (!queue) {
				queue = new AppQueue(app, options.budget, options.policy, clock);
				apps.set(app, queue);
			}
			return queue.enqueue(priority, deadline);
		},
	};
}

class AppQueue {
	private waiters: Waiter[] = [];
	private arrivals = 0;
	private pumping = false;
	private wake: (() => void) | null = null;

	constructor(
		private readonly app: string,
		private readonly budget: KnackBudgetStore,
		private readonly policy: BudgetPolicy,
		private readonly clock: () => number,
	) {}

	enqueue(priority: Priority, deadline: number): Promise<Admission> {
		return new Promise((resolve, reject) => {
			const waiter = { priority, deadline, order: this.arrivals++, staleGrants: 0, resolve, reject };
			const head = this.waiters[0];
			this.waiters.push(waiter);
			this.waiters.sort(
				(a, b) => priorityRank[a.priority] - priorityRank[b.priority] || a.deadline - b.deadline || a.order - b.order,
			);
			// A waiter that outranks the sleeping head may be granted what the head was not.
			if (head && priorityRank[priority] < priorityRank[head.priority]) this.wake?.();
			void this.pump();
		});
	}

	private async pump(): Promise<void> {
		if (this.pumping) return;
		this.pumping = true;
		try {
			for (;;) {
				const now = this.clock();
				this.waiters = this.waiters.filter((w) => {
					if (w.deadline >= now) return true;
					w.resolve({ ok: false, reason: "deadline" });
					return false;
				});
				const head = this.waiters[0];
				if (!head) return;
				let decision: Decision;
				try {
					decision = await this.budget.take(
						this.app,
						now,
						(state) => decide({ priority: head.priority, now }, state, this.policy),
						head.priority,
					);
				} catch (error) {
					this.remove(head);
					head.reject(error);
					continue;
				}
				if (decision.kind === "grant") {
					if (this.clock() - now > STALE_GRANT_MS && head.staleGrants++ < MAX_STALE_GRANTS) continue;
					this.remove(head);
					head.resolve({ ok: true });
				} else if (decision.kind === "quota") {
					this.remove(head);
					const { why, resetAt, remaining } = decision;
					head.resolve({ ok: false, reason: "quota", why, resetAt, remaining });
				} else {
					const earliestDeadline = Math.min(...this.waiters.map((w) => w.deadline + 1));
					await this.sleep(Math.min(decision.until, earliestDeadline) - this.clock());
				}
			}
		} finally {
			this.pumping = false;
		}
	}

	private remove(waiter: Waiter) {
		this.waiters = this.waiters.filter((w) => w !== waiter);
	}

	private sleep(ms: number): Promise<void> {
		return new Promise((resolve) => {
			const timer = setTimeout(done, Math.max(0, ms));
			function done() {
				clearTimeout(timer);
				resolve();
			}
			this.wake = () => {
				this.wake = null;
				done();
			};
		});
	}
}
