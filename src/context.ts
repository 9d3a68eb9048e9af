import type { OperatorDeps } from "./application/operator/deps.ts";
import type { JobRunner } from "./application/operator/jobs.ts";
import type { Config } from "./config.ts";
import type { HealthMonitor } from "./health/monitor.ts";
import type { Logger } from "./logging/logger.ts";
import type { Metrics } from "./metrics.ts";
import type { Projector } from "./projections/knack/run.ts";
import type { PaymentsReadModel } from "./projections/payments.ts";
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
	/** the payments read model, which the console brings up to date before it reads it */
	readModel: Pick<PaymentsReadModel, "catchUp">;
	/** operator work that outlives its request (Retry all shown) */
	jobs: Pick<JobRunner, "startRetryAll">;
}
