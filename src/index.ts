import { feature } from "bun:bundle";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { logGroupName } from "./logging/cloudwatch.ts";
import { cloudWatchConfigFromEnv, createServiceLogger } from "./logging/setup.ts";
import type { DevelopmentSandbox } from "./sandbox/embedded.ts";
import { startService } from "./service.ts";

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
		console.error(`atd-citybase: configuration error: ${error.message}`);
		process.exit(1);
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
	});
	logger.info("atd-citybase listening", { url: service.url, database: service.storage.location });

	let stopping = false;
	for (const signal of ["SIGTERM", "SIGINT"] as const) {
		process.on(signal, async () => {
			if (stopping) return;
			stopping = true;
			logger.info("stopping: finishing postbacks in flight", { signal });
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
	console.error(
		"atd-citybase: configuration error: KNACK_STREET_BANNER_APP_ID, KNACK_STREET_BANNER_API_KEY, " +
			"KNACK_SMART_MOBILITY_APP_ID, KNACK_SMART_MOBILITY_API_KEY must be set (this executable carries no Knack " +
			"sandbox; `bun src/index.ts` starts one in development)",
	);
	process.exit(1);
}
