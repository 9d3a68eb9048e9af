import { type EnvironmentName, loadConfig } from "../../src/config.ts";
import { memorySink } from "../../src/logging/logger.ts";
import { createServiceLogger } from "../../src/logging/setup.ts";
import { defaultSandboxOptions } from "../../src/sandbox/defaults.ts";
import { type KnackSandbox, startKnackSandbox } from "../../src/sandbox/knack.ts";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";
import { type Service, type ServiceOptions, startService } from "../../src/service.ts";
import { freshStore, type TestStore } from "./store.ts";

/**
 * A real service on a loopback port, over a fresh store (SQLite, or PostgreSQL with
 * TEST_STORE=postgres), talking HTTP to a Knack sandbox: what every end-to-end test drives.
 */
export interface Harness {
	service: Service;
	sandbox: KnackSandbox;
	logs: string[];
	store: TestStore;
	post(body: unknown, init?: { headers?: Record<string, string>; query?: string }): Promise<Response>;
	flushLogs(): Promise<void>;
	stop(): Promise<void>;
}

export interface HarnessOptions {
	environment?: EnvironmentName;
	/** the wall-clock time the service believes it is at start (ISO), ticking from there */
	startAt?: string;
	env?: Record<string, string>;
	recovery?: boolean;
	sandbox?: KnackSandbox;
	/** a store to reuse (kept at stop), e.g. one log across restarts; default a fresh one (dropped at stop) */
	store?: TestStore;
	/** also log to CloudWatch Logs at this endpoint (the local emulator) */
	cloudWatchEndpoint?: string;
	/** the HTTP app made of the service's context (`startService`'s `app`) */
	app?: ServiceOptions["app"];
}

export const appIds = {
	STREET_BANNER: sandboxCredentials.STREET_BANNER.appId,
	SMART_MOBILITY: sandboxCredentials.SMART_MOBILITY.appId,
};

/** A clock that starts at `iso` and advances with real time. */
export function clockFrom(iso: string): () => number {
	const start = Date.parse(iso);
	const origin = Date.now();
	return () => start + (Date.now() - origin);
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
	const sandbox = options.sandbox ?? startKnackSandbox(defaultSandboxOptions());
	const store = options.store ?? (await freshStore());
	const config = loadConfig({
		CITYBASE_ENV: options.environment ?? "development",
		HOST: "127.0.0.1",
		PORT: "0",
		...store.env,
		KNACK_API_URL: sandbox.url,
		KNACK_STREET_BANNER_APP_ID: sandboxCredentials.STREET_BANNER.appId,
		KNACK_STREET_BANNER_API_KEY: sandboxCredentials.STREET_BANNER.apiKey,
		KNACK_SMART_MOBILITY_APP_ID: sandboxCredentials.SMART_MOBILITY.appId,
		KNACK_SMART_MOBILITY_API_KEY: sandboxCredentials.SMART_MOBILITY.apiKey,
		POSTBACK_AUTH: options.environment === "production" ? "none" : "",
		EVENT_LOG_ENCRYPTION: options.environment === "production" ? "none" : "",
		KNACK_RATE_LIMIT: "1000",
		KNACK_TIMEOUT_SECONDS: "1",
		POSTBACK_DEADLINE_SECONDS: "3",
		CLAIM_LEASE_SECONDS: "5",
		...options.env,
	});
	const sink = memorySink();
	const { logger, cloudWatch } = createServiceLogger({
		level: "debug",
		environment: config.environment,
		secrets: config.secrets,
		stdout: sink,
		cloudWatch: options.cloudWatchEndpoint
			? {
					environment: config.environment,
					region: "us-east-1",
					credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "aws-secret-test-value" },
					endpoint: options.cloudWatchEndpoint,
					flushIntervalMs: 50,
				}
			: null,
	});
	const service = await startService({
		config,
		logger,
		cloudWatch,
		knackCredentials: sandboxCredentials,
		clock: options.startAt ? clockFrom(options.startAt) : Date.now,
		recovery: options.recovery ?? false,
		app: options.app,
	});
	return {
		service,
		sandbox,
		logs: sink.lines,
		store,
		post(body, init = {}) {
			return fetch(`${service.url}/citybase_postback${init.query ?? ""}`, {
				method: "POST",
				headers: { "content-type": "application/json", ...init.headers },
				body: typeof body === "string" ? body : JSON.stringify(body),
			});
		},
		flushLogs: () => logger.flush(),
		async stop() {
			await service.stop();
			await logger.close();
			if (!options.sandbox) await sandbox.stop();
			if (!options.store) await store.drop();
		},
	};
}
