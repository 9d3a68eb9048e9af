import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { remainingQuota } from "./projections/knack/budget.ts";
import type { EventStore, KnackBudgetStore } from "./storage/storage.ts";

/**
 * Prometheus metrics for `GET /metrics`: what operators alert and graph on. Gauges
 * about the log are read from the store when scraped, so they are never stale.
 */
export type PostbackOutcome = "applied" | "duplicate" | "rejected" | "failed" | "unauthenticated";

export interface Metrics {
	registry: Registry;
	postback(outcome: PostbackOutcome): void;
	knackCall(call: { app: string; method: string; objectKey: string; status: number | null; durationMs: number }): void;
}

export interface MetricsSources {
	store: EventStore;
	budget: KnackBudgetStore;
	cloudWatch?: { stats(): { sent: number; dropped: number } } | null;
}

export function createMetrics({ store, budget, cloudWatch }: MetricsSources): Metrics {
	const registry = new Registry();
	const registers = [registry];
	const postbacks = new Counter({
		name: "citybase_postbacks_total",
		help: "Postbacks answered, by outcome (applied, duplicate, rejected, failed, unauthenticated)",
		labelNames: ["outcome"],
		registers,
	});
	const knackCalls = new Counter({
		name: "citybase_knack_calls_total",
		help: "Knack API calls by app, method, object and HTTP status (none = no answer)",
		labelNames: ["app", "method", "object", "status"],
		registers,
	});
	const knackLatency = new Histogram({
		name: "citybase_knack_call_duration_seconds",
		help: "Knack API call latency",
		labelNames: ["app", "method", "object"],
		buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
		registers,
	});
	let cachedCounts: ReturnType<EventStore["counts"]> | null = null;
	// One store query per scrape, shared by the three gauges below (prom-client awaits each collect).
	const counts = () => {
		cachedCounts ??= store.counts();
		queueMicrotask(() => {
			cachedCounts = null;
		});
		return cachedCounts;
	};
	new Gauge({
		name: "citybase_events_in_log",
		help: "Events in the append-only log",
		registers,
		async collect() {
			this.set((await counts()).events);
		},
	});
	new Gauge({
		name: "citybase_incomplete_deliveries",
		help: "Accepted deliveries not yet fully applied to Knack (nor dead-lettered)",
		registers,
		async collect() {
			this.set((await counts()).incomplete);
		},
	});
	new Gauge({
		name: "citybase_dead_lettered_deliveries",
		help: "Deliveries recovery gave up on; they wait for an operator's replay",
		registers,
		async collect() {
			this.set((await counts()).deadLettered);
		},
	});
	new Gauge({
		name: "citybase_knack_quota",
		help: "Knack's daily plan quota per app as it last reported it (X-PlanLimit-*), with our calls since; absent until Knack says",
		labelNames: ["app", "figure"],
		registers,
		async collect() {
			this.reset();
			const now = Date.now();
			for (const [app, quota] of await budget.quotas()) {
				const remaining = remainingQuota(quota, now);
				if (quota.planLimit !== null) this.set({ app, figure: "limit" }, quota.planLimit);
				if (remaining !== null) this.set({ app, figure: "remaining" }, remaining);
				if (quota.planResetAt !== null)
					this.set({ app, figure: "reset_seconds" }, Math.max(0, (quota.planResetAt - now) / 1000));
			}
		},
	});
	new Gauge({
		name: "citybase_cloudwatch_lines",
		help: "Log lines sent to or dropped before CloudWatch Logs",
		labelNames: ["result"],
		registers,
		collect() {
			const stats = cloudWatch?.stats() ?? { sent: 0, dropped: 0 };
			this.set({ result: "sent" }, stats.sent);
			this.set({ result: "dropped" }, stats.dropped);
		},
	});

	return {
		registry,
		postback: (outcome) => postbacks.inc({ outcome }),
		knackCall: ({ app, method, objectKey, status, durationMs }) => {
			knackCalls.inc({ app, method, object: objectKey, status: status === null ? "none" : String(status) });
			knackLatency.observe({ app, method, object: objectKey }, durationMs / 1000);
		},
	};
}
