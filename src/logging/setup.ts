/**
 * Wires the service's logger: JSON lines to stdout, and to CloudWatch Logs when AWS is
 * configured (docs/design.md §8).
 */
import {
	type CloudWatchSink,
	type CloudWatchSinkOptions,
	createCloudWatchSink,
	type Environment,
} from "./cloudwatch.ts";
import { createLogger, type LogLevel, type LogSink, type RootLogger, stdoutSink } from "./logger.ts";

type Env = Record<string, string | undefined>;

function setting(env: Env, name: string): string | undefined {
	const value = env[name]?.trim();
	return value === "" ? undefined : value;
}

/**
 * CloudWatch is on only when a region and both keys are set. The Flask deployment's .env
 * sets AWS_DEFAULT_REGION, which SDK v3 ignores, so it is read here explicitly.
 */
export function cloudWatchConfigFromEnv(env: Env, environment: Environment): CloudWatchSinkOptions | null {
	const region = setting(env, "AWS_REGION") ?? setting(env, "AWS_DEFAULT_REGION");
	const accessKeyId = setting(env, "AWS_ACCESS_KEY_ID");
	const secretAccessKey = setting(env, "AWS_SECRET_ACCESS_KEY");
	if (!region || !accessKeyId || !secretAccessKey) return null;
	const sessionToken = setting(env, "AWS_SESSION_TOKEN");
	return {
		environment,
		region,
		credentials: sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey },
		endpoint: setting(env, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS") ?? setting(env, "AWS_ENDPOINT_URL"),
	};
}

export interface ServiceLoggerOptions {
	level: LogLevel;
	environment: Environment;
	/** Knack API keys, postback tokens, the admin token; the AWS keys are added here. */
	secrets: readonly string[];
	cloudWatch: CloudWatchSinkOptions | null;
	clock?: () => number;
	/** Where the JSON lines go besides CloudWatch; stdout unless a test captures them. */
	stdout?: LogSink;
}

export function createServiceLogger(options: ServiceLoggerOptions): {
	logger: RootLogger;
	cloudWatch: CloudWatchSink | null;
} {
	const stdout = options.stdout ?? stdoutSink;
	const credentials = options.cloudWatch?.credentials;
	const secrets = [...options.secrets, credentials?.secretAccessKey ?? "", credentials?.sessionToken ?? ""];
	const common = { level: options.level, clock: options.clock, secrets };
	if (!options.cloudWatch) return { logger: createLogger({ ...common, sinks: [stdout] }), cloudWatch: null };

	// CloudWatch's own failures go to stdout only: through the CloudWatch sink they would
	// queue behind the very lines that cannot be delivered.
	const fallback = createLogger({ ...common, sinks: [stdout] });
	const cloudWatch = createCloudWatchSink({
		clock: options.clock,
		onError: (error) => fallback.warn("CloudWatch Logs delivery failed", { error }),
		...options.cloudWatch,
		// The service's environment names the group, so its lines cannot land in another's.
		environment: options.environment,
	});
	return { logger: createLogger({ ...common, sinks: [stdout, cloudWatch] }), cloudWatch };
}
