import { EventTypes } from "../events/types.ts";
import type { Logger } from "../logging/logger.ts";
import type { Projector } from "../projections/knack/run.ts";
import type { EventStore } from "../storage/storage.ts";

/**
 * Finishes deliveries that CityBase stopped retrying before Knack came back. Runs at
 * start-up and then periodically; each incomplete delivery backs off on its own, and
 * after too many failed attempts or too long it is dead-lettered (an event in the
 * log) and left for an operator's replay.
 */
export interface RecoveryOptions {
	store: EventStore;
	projector: Projector;
	logger: Logger;
	clock?: () => number;
	intervalMs: number;
	deadlineMs: number;
	maxAttempts: number;
	maxAgeMs: number;
}

export interface RecoveryWorker {
	/** One pass over the incomplete deliveries; resolves with how many were finished. */
	runOnce(): Promise<{ finished: number; failed: number; deadLettered: number }>;
	start(): void;
	stop(): Promise<void>;
}

export function createRecoveryWorker(options: RecoveryOptions): RecoveryWorker {
	const { store, projector, logger } = options;
	const clock = options.clock ?? Date.now;
	const notBefore = new Map<number, number>();
	/** apps whose daily Knack quota is spent, until it resets: nothing is tried for them before */
	const quotaResets = new Map<string, number>();
	let timer: ReturnType<typeof setTimeout> | null = null;
	let running: Promise<unknown> | null = null;
	let stopped = false;

	async function runOnce() {
		const tally = { finished: 0, failed: 0, deadLettered: 0 };
		for (const delivery of await store.incomplete()) {
			if (stopped) break;
			const now = clock();
			// A delivery younger than the deadline may still be in the hands of its own request.
			if (now - delivery.receivedAt < options.deadlineMs) continue;
			if ((notBefore.get(delivery.deliverySeq) ?? 0) > now) continue;
			if ((quotaResets.get(delivery.payment.app) ?? 0) > now) continue;
			const log = logger.child({ citybase_id: delivery.payment.citybaseId, delivery_seq: delivery.deliverySeq });

			// Only the worker's own failed calls count: how many the postback's request made
			// before its deadline depends on Knack's answers and on retry jitter. A 429 is
			// Knack's limits speaking, not the delivery failing, so it does not count either;
			// nor does a takeover's doubt (`effect.doubted`), which called nothing.
			const attempts = (await store.outcomesOf(delivery.payment.citybaseId, delivery.payment.status)).filter(
				(e) =>
					e.type === EventTypes.effectFailed &&
					e.deliverySeq === delivery.deliverySeq &&
					e.data.by === "recovery" &&
					e.data.knackStatus !== 429,
			).length;
			const age = now - delivery.receivedAt;
			if (attempts >= options.maxAttempts || age >= options.maxAgeMs) {
				const reason =
					attempts >= options.maxAttempts
						? `${attempts} failed Knack attempts`
						: `still incomplete after ${Math.round(age / 3_600_000)} hours`;
				await store.recordDeadLetter(delivery.deliverySeq, reason, attempts, now);
				log.error("delivery dead-lettered: replay it once the cause is fixed", { reason, attempts });
				tally.deadLettered++;
				continue;
			}

			const result = await projector.project(delivery, Date.now() + options.deadlineMs, { by: "recovery" });
			if (result.ok) {
				notBefore.delete(delivery.deliverySeq);
				log.info("incomplete delivery finished by recovery", { performed: result.performed });
				tally.finished++;
			} else if (result.reason === "quota") {
				// Retrying cannot help before the reset: wait for it (a little after, as clocks differ).
				const resetAt = (result.resetAt ?? now + 3_600_000) + 1_000;
				quotaResets.set(delivery.payment.app, resetAt);
				log.warn("Knack daily quota exhausted: recovery waits for the reset", {
					app: delivery.payment.app,
					resets_at: new Date(resetAt).toISOString(),
				});
				tally.failed++;
			} else {
				const backoff = Math.min(options.intervalMs * 2 ** Math.min(attempts, 10), 3_600_000);
				notBefore.set(delivery.deliverySeq, now + backoff);
				log.warn("recovery could not finish the delivery yet", { status: result.status, retry_in_ms: backoff });
				tally.failed++;
			}
		}
		return tally;
	}

	function schedule() {
		if (stopped) return;
		timer = setTimeout(() => {
			running = runOnce()
				.catch((error) => logger.error("recovery pass failed", { error: (error as Error).message }))
				.finally(() => {
					running = null;
					schedule();
				});
		}, options.intervalMs);
		timer.unref?.();
	}

	return {
		runOnce,
		start() {
			stopped = false;
			running = runOnce()
				.catch((error) => logger.error("recovery pass failed", { error: (error as Error).message }))
				.finally(() => {
					running = null;
					schedule();
				});
		},
		async stop() {
			stopped = true;
			if (timer) clearTimeout(timer);
			await running;
		},
	};
}
