import { feature } from "bun:bundle";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { logGroupName } from "./logging/cloudwatch.ts";
import { cloudWatchConfigFromEnv, createServiceLogger } from "./logging/setup.ts";
import type { DevelopmentSandbox } from "./sandbox/embedded.ts";
import { startService } from "./service.ts";
import { whyUnwritable } from "./storage/open.ts";
import { StorageOpenError } from "./storage/storage.ts";

declare module "bun:bundle" {
	interface Registry {
		/** `npm run build` sets it: the compiled executable carries no Knack sandbox */
		features: "WITHOUT_SANDBOX";
	}
}

/**
 * `bun src/index.ts`: read the configuration, start the service, stop cleanly on a
 * signal. `… cli <command>` runs the operator CLI instead, so the single executable
 * (`dist/atd-citybase cli …`) carries both.
 */
if (process.argv[2] === "cli") {
	const { cliMain } = await import("./cli.ts");
	process.exitCode = await cliMain(process.argv.slice(3));
} else {
	await serve();
}

async function serve() {
	let config: ReturnType<typeof loadConfig>;
	try {
		config = loadConfig();
	} catch (error) {
		if (!(error instanceof ConfigError)) throw error;
		refuseToStart(`configuration error: ${error.message}`);
	}
	// A deploy mistake (a root-owned bind mount at /data) said in one line, before SQLite
	// would end in a stack trace with SQLITE_CANTOPEN.
	const unwritable = whyUnwritable(config);
	if (unwritable) {
		const uid = process.getuid?.() ?? "?";
		const gid = process.getgid?.() ?? "?";
		refuseToStart(
			`cannot write the event log: ${unwritable} for uid ${uid}, which the service runs as; give it the folder (\`chown ${uid}:${gid}\` on the host) or mount a named volume there, as docker-compose.yml does`,
		);
	}

	const { logger, cloudWatch } = createServiceLogger({
		level: config.logLevel,
		environment: config.environment,
		secrets: config.secrets,
		cloudWatch: cloudWatchConfigFromEnv(process.env, config.environment),
	});
	if (cloudWatch) logger.info("logging to CloudWatch Logs", { group: logGroupName(config.environment) });

	const sandbox = config.knack.credentials ? null : await developmentSandbox(config);
	if (sandbox) {
		logger.warn("no Knack credentials in development: using the embedded Knack sandbox", {
			knack_api_url: sandbox.url,
			records: `${sandbox.root}/__sandbox/records/{appId}/{objectKey}`,
		});
	}
	if (config.postback.tokens.length === 0) {
		logger.warn("POSTBACK_TOKENS is not set: postbacks are accepted without authentication");
	}
	if (!config.eventLogKeys) {
		logger.warn("EVENT_LOG_KEYS is not set: delivery bodies, card and bank details included, are stored in clear");
	}

	const credentials = config.knack.credentials ?? sandbox?.credentials;
	if (!credentials) throw new Error("no Knack credentials and no sandbox");
	const service = await startService({
		config,
		logger,
		cloudWatch,
		knackCredentials: credentials,
		knackApiUrl: sandbox?.url,
	}).catch(async (error) => {
		// A DATABASE_URL that does not answer, or refuses us: its host and the error, no stack.
		if (!(error instanceof StorageOpenError)) throw error;
		await sandbox?.stop();
		await logger.close();
		refuseToStart(error.message);
	});
	logger.info("atd-citybase listening", { url: service.url, database: service.storage.location });

	let stopping = false;
	for (const signal of ["SIGTERM", "SIGINT"] as const) {
		process.on(signal, async () => {
			if (stopping) return;
			stopping = true;
			// Readiness fails first and the server goes on answering for the drain, so a
			// balancer polling readiness stops sending here before the port closes.
			service.health.shuttingDown();
			logger.info("stopping: readiness fails now; serving on for the drain, then finishing postbacks in flight", {
				signal,
				drain_ms: config.shutdownDrainMs,
			});
			await Bun.sleep(config.shutdownDrainMs);
			await service.stop();
			await sandbox?.stop();
			logger.info("stopped", { signal });
			await logger.close();
			process.exit(0);
		});
	}
}

/**
 * The Knack emulator, for development without credentials: loaded only then, and left
 * out of the compiled executable altogether (the build's WITHOUT_SANDBOX feature drops
 * this import), which therefore needs Knack credentials in every environment.
 */
async function developmentSandbox(config: Config): Promise<DevelopmentSandbox> {
	if (!feature("WITHOUT_SANDBOX")) {
		const { developmentSandbox } = await import("./sandbox/embedded.ts");
		return developmentSandbox(config.knack.sandboxPort, config.knack.sandboxHost);
	}
	refuseToStart(
		"configuration error: KNACK_STREET_BANNER_APP_ID, KNACK_STREET_BANNER_API_KEY, " +
			"KNACK_SMART_MOBILITY_APP_ID, KNACK_SMART_MOBILITY_API_KEY must be set (this executable carries no Knack " +
			"sandbox; `bun src/index.ts` starts one in development)",
	);
}

function refuseToStart(reason: string): never {
	console.error(`atd-citybase: ${reason}`);
	process.exit(1);
}
