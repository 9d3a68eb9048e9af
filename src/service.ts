import type { AnyElysia } from "elysia";
import { createApp } from "./app.ts";
import { createJobRunner, type JobRunner } from "./application/operator/jobs.ts";
import { createRecoveryWorker, type RecoveryWorker } from "./application/recovery.ts";
import { type Config, fieldMapName } from "./config.ts";
import type { AppContext } from "./context.ts";
import type { KnackAppName } from "./events/payload.ts";
import { registerHealthGauges } from "./health/gauges.ts";
import { createHealthMonitor, type HealthMonitor } from "./health/monitor.ts";
import type { Logger } from "./logging/logger.ts";
import { createMetrics } from "./metrics.ts";
import type { KnackCredentials } from "./projections/knack/client.ts";
import { knackClientFor } from "./projections/knack/factory.ts";
import { createProjector, type Projector } from "./projections/knack/run.ts";
import { createPaymentsReadModel, type PaymentsReadModel } from "./projections/payments.ts";
import { answerEscapedError } from "./routes/framing.ts";
import { serverBodyLimit } from "./routes/postback.ts";
import { openStorage } from "./storage/open.ts";
import type { EventStore, Storage } from "./storage/storage.ts";

/**
 * Wires a running service from configuration: the store, the Knack client and
 * projector, the HTTP app and the recovery worker. Used by `index.ts`, the tests and
 * the benchmarks alike, so all three run the same thing.
 */
export interface ServiceOptions {
	config: Config;
	logger: Logger;
	/** the Knack credentials to use; `config.knack.credentials` unless a sandbox stands in */
	knackCredentials: Record<KnackAppName, KnackCredentials>;
	knackApiUrl?: string;
	clock?: () => number;
	/** off in tests that drive recovery by hand */
	recovery?: boolean;
	/** the CloudWatch sink, when logging there, for its metrics */
	cloudWatch?: { stats(): { sent: number; dropped: number } } | null;
	/** the HTTP app made of the context; `createApp` unless a test puts something in front of its routes */
	app?: (ctx: AppContext) => AnyElysia;
}

export interface Service {
	url: string;
	storage: Storage;
	store: EventStore;
	projector: Projector;
	recovery: RecoveryWorker;
	readModel: PaymentsReadModel;
	health: HealthMonitor;
	jobs: JobRunner;
	stop(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
	const { config, logger } = options;
	const clock = options.clock ?? Date.now;
	const storage = await openStorage(config);
	const health = createHealthMonitor({
		config: config.health,
		probe: storage.probe,
		queries: storage.queries,
		budget: storage.budget,
		apps: Object.keys(options.knackCredentials),
		cloudWatch: options.cloudWatch,
		logger,
		clock,
	});
	const store = health.watch(storage.events);
	const readModel = createPaymentsReadModel(storage.readModel);
	const metrics = createMetrics({ store, budget: storage.budget, cloudWatch: options.cloudWatch });
	registerHealthGauges(metrics.registry, health);
	const knack = knackClientFor(config.knack, {
		credentials: options.knackCredentials,
		budget: storage.budget,
		logger,
		apiUrl: options.knackApiUrl,
		onCall: (call) => {
			metrics.knackCall(call);
			health.knackCall(call);
		},
	});
	const projector = createProjector({
		store,
		knack,
		logger,
		clock,
		fieldMap: fieldMapName(config.environment),
		leaseMs: config.postback.claimLeaseMs,
	});
	const recovery = createRecoveryWorker({
		store,
		projector,
		logger,
		clock,
		intervalMs: config.recovery.intervalMs,
		deadlineMs: config.postback.deadlineMs,
		maxAttempts: config.recovery.maxAttempts,
		maxAgeMs: config.recovery.maxAgeMs,
	});
	const operator = {
		storage,
		fieldMap: fieldMapName(config.environment),
		knack: () => knack,
		logger,
		deadlineMs: config.postback.deadlineMs,
		claimLeaseMs: config.postback.claimLeaseMs,
		holderPrefix: `console-${process.pid}`,
		budget: { perSecond: config.knack.rateLimitPerSecond, dailyReserve: config.knack.dailyReserve },
	};
	const jobs = createJobRunner(operator, { leaseMs: config.postback.claimLeaseMs });
	const context = { config, store, projector, logger, clock, metrics, operator, health, jobs, readModel };
	const app = (options.app ?? createApp)(context).listen({
		hostname: config.host,
		port: config.port,
		// The route enforces MAX_BODY_BYTES itself, reading an oversized body to its end
		// before it answers 413; Bun's bound only stops a body far past any real postback.
		maxRequestBodySize: serverBodyLimit(config.postback.maxBodyBytes),
		// Seconds a connection may sit idle (a slow client dribbling its body) before it is
		// closed; a handler still working on a postback is not cut off by it.
		idleTimeout: 15,
		error: answerEscapedError(logger),
	});
	const server = app.server;
	if (!server) throw new Error("the HTTP server did not start");
	if (options.recovery !== false) recovery.start();
	health.start();
	jobs.start();
	// The read model trails the log by at most a second; it is a convenience for
	// operators, so a failure here is logged and never reaches a postback.
	// One catch-up at a time, awaited on stop so none runs against a closed store.
	let catchingUp: Promise<unknown> | null = null;
	const readModelTimer = setInterval(() => {
		catchingUp ??= readModel
			.catchUp()
			.catch((error) => {
				logger.warn("read model catch-up failed; it will try again", { error: (error as Error).message });
			})
			.finally(() => {
				catchingUp = null;
			});
	}, 1000);
	readModelTimer.unref();

	return {
		url: `http://${server.hostname}:${server.port}`,
		storage,
		store,
		projector,
		recovery,
		readModel,
		health,
		jobs,
		/**
		 * Fails readiness, stops accepting, lets postbacks in flight finish within the grace
		 * period, then closes the store. A postback cut off here is never half-recorded: its writes
		 * so far are not in the log, its claim expires, and recovery (or CityBase's
		 * retry) finishes it, looking up any insert it may have made.
		 */
		async stop() {
			health.shuttingDown();
			const drained = server.stop();
			const inTime = await Promise.race([
				drained.then(() => true),
				Bun.sleep(config.shutdownGraceMs).then(() => false),
			]);
			if (!inTime) {
				logger.warn("shutdown grace period over: postbacks still in flight are left to recovery", {
					grace_ms: config.shutdownGraceMs,
				});
				await server.stop(true);
			}
			clearInterval(readModelTimer);
			await catchingUp;
			await recovery.stop();
			await jobs.stop();
			await health.stop();
			await storage.close();
		},
	};
}
