import type { OperatorDeps } from "./application/operator/deps.ts";
import type { Config } from "./config.ts";
import type { HealthMonitor } from "./health/monitor.ts";
import type { Logger } from "./logging/logger.ts";
import type { Metrics } from "./metrics.ts";
import type { Projector } from "./projections/knack/run.ts";
import type { EventStore } from "./storage/storage.ts";

/** Everything the HTTP app needs, injected: tests build their own, with their own clock. */
export interface AppContext {
	config: Config;
	store: EventStore;
	projector: Projector;
	logger: Logger;
	clock: () => number;
	metrics: Metrics;
	/** what the console's operator functions work with; each request adds who is signed in */
	operator: Omit<OperatorDeps, "actor">;
	health: Pick<HealthMonitor, "report" | "readiness">;
}
