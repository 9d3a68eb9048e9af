import { type Static, Type as T } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { type Keyring, parseKeyring } from "./events/bodyKeys.ts";
import type { KnackAppName } from "./events/payload.ts";
import type { HealthConfig } from "./health/checks.ts";
import type { KnackCredentials } from "./projections/knack/client.ts";
import type { FieldMapName } from "./projections/knack/fieldMaps.ts";

/**
 * Environment → typed configuration (docs/design.md §7; every variable in the README).
 * Parsed once at start-up; a bad value stops the service with one line naming the
 * variable, never echoing its value (some of these are secrets).
 */
export const Environments = ["development", "staging", "uat", "production"] as const;
export const EnvironmentName = T.Union(Environments.map((e) => T.Literal(e)));
export type EnvironmentName = Static<typeof EnvironmentName>;

export interface Config {
	environment: EnvironmentName;
	host: string;
	port: number;
	databasePath: string;
	/** `postgres://…`: the shared PostgreSQL store, used instead of the SQLite file; null: SQLite */
	databaseUrl: string | null;
	knack: {
		apiUrl: string;
		/** null in development without credentials: the embedded sandbox is used instead */
		credentials: Record<KnackAppName, KnackCredentials> | null;
		rateLimitPerSecond: number;
		/** daily-quota calls per app that operator work (replay, verify) never takes */
		dailyReserve: number;
		timeoutMs: number;
		sandboxPort: number;
		/** where the embedded sandbox listens: loopback unless told otherwise, whatever HOST says */
		sandboxHost: string;
	};
	postback: {
		deadlineMs: number;
		claimLeaseMs: number;
		maxBodyBytes: number;
		tokens: string[];
	};
	recovery: {
		intervalMs: number;
		maxAttempts: number;
		maxAgeMs: number;
	};
	adminToken: string | null;
	/** null: delivery bodies are stored in clear (allowed in production only with EVENT_LOG_ENCRYPTION=none) */
	eventLogKeys: Keyring | null;
	/** how long a stopping service waits for postbacks in flight */
	shutdownGraceMs: number;
	/** how long a stopping service goes on serving with readiness failed, so a balancer stops sending first */
	shutdownDrainMs: number;
	logLevel: "debug" | "info" | "warn" | "error";
	/** the thresholds behind GET / (docs/design.md §9) */
	health: HealthConfig;
	/** every secret value, so the logger can redact them wherever they appear */
	secrets: string[];
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const positiveNumber = T.Number({ exclusiveMinimum: 0 });
const port = T.Integer({ minimum: 0, maximum: 65535 });

function read<S extends ReturnType<typeof T.Number> | ReturnType<typeof T.Integer>>(
	env: Env,
	name: string,
	schema: S,
	fallback: number,
	rule: string,
): number {
	const raw = env[name];
	if (raw === undefined || raw.trim() === "") return fallback;
	const value = Number(raw);
	if (!Number.isFinite(value) || !Value.Check(schema, value)) {
		throw new ConfigError(`${name} must be ${rule}`);
	}
	return value;
}

function text(env: Env, name: string): string | undefined {
	const raw = env[name]?.trim();
	return raw ? raw : undefined;
}

const credentialVars: Record<KnackAppName, [string, string]> = {
	STREET_BANNER: ["KNACK_STREET_BANNER_APP_ID", "KNACK_STREET_BANNER_API_KEY"],
	SMART_MOBILITY: ["KNACK_SMART_MOBILITY_APP_ID", "KNACK_SMART_MOBILITY_API_KEY"],
};

function knackCredentials(env: Env, environment: EnvironmentName) {
	const present = Object.values(credentialVars)
		.flat()
		.filter((name) => text(env, name));
	if (present.length === 0 && environment === "development") return null;
	const missing = Object.values(credentialVars)
		.flat()
		.filter((name) => !text(env, name));
	if (missing.length > 0) {
		throw new ConfigError(
			`${missing.join(", ")} must be set (Knack credentials are required outside development, and all four together)`,
		);
	}
	const pair = (app: KnackAppName) => {
		const [id, key] = credentialVars[app];
		return { appId: text(env, id) as string, apiKey: text(env, key) as string };
	};
	return { STREET_BANNER: pair("STREET_BANNER"), SMART_MOBILITY: pair("SMART_MOBILITY") };
}

function environmentName(env: Env): EnvironmentName {
	const name = text(env, "CITYBASE_ENV") ? "CITYBASE_ENV" : text(env, "FLASK_ENV") ? "FLASK_ENV" : null;
	if (!name) return "development";
	const value = text(env, name);
	if (!Value.Check(EnvironmentName, value)) {
		throw new ConfigError(`${name} must be one of ${Environments.join(", ")}`);
	}
	return value;
}

function eventLogKeys(env: Env, environment: EnvironmentName): Keyring | null {
	const encryption = text(env, "EVENT_LOG_ENCRYPTION");
	if (encryption !== undefined && encryption !== "none") {
		throw new ConfigError("EVENT_LOG_ENCRYPTION must be unset or none");
	}
	const value = text(env, "EVENT_LOG_KEYS");
	if (value === undefined) {
		if (environment === "production" && encryption !== "none") {
			throw new ConfigError(
				"EVENT_LOG_KEYS must be set in production (or EVENT_LOG_ENCRYPTION=none to store delivery bodies in clear on purpose)",
			);
		}
		return null;
	}
	// Both set is ambiguous (encrypt or not?); a wrong guess either way is silent, so ask.
	if (encryption === "none") {
		throw new ConfigError("EVENT_LOG_ENCRYPTION=none contradicts EVENT_LOG_KEYS: unset one of them");
	}
	const parsed = parseKeyring(value);
	if (!parsed.ok) throw new ConfigError(`EVENT_LOG_KEYS: ${parsed.problem}`);
	return parsed.keyring;
}

function url(env: Env, name: string, fallback: string): string {
	const value = text(env, name) ?? fallback;
	try {
		const parsed = new URL(value);
		if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
	} catch {
		throw new ConfigError(`${name} must be an http(s) URL`);
	}
	return value.replace(/\/+$/, "");
}

/** DATABASE_URL, checked without ever quoting it: it carries the database password. */
function databaseUrl(env: Env): { url: string; password: string } | null {
	const value = text(env, "DATABASE_URL");
	if (value === undefined) return null;
	let parsed: URL | undefined;
	try {
		parsed = new URL(value);
	} catch {}
	if (!parsed || (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") || !parsed.hostname) {
		throw new ConfigError("DATABASE_URL must be a postgres:// or postgresql:// URL with a host");
	}
	return { url: value, password: decodeURIComponent(parsed.password) };
}

export function loadConfig(env: Env = process.env): Config {
	const environment = environmentName(env);
	const credentials = knackCredentials(env, environment);
	const tokens = (text(env, "POSTBACK_TOKENS") ?? "")
		.split(",")
		.map((t) => t.trim())
		.filter(Boolean);
	const postbackAuth = text(env, "POSTBACK_AUTH");
	if (postbackAuth !== undefined && postbackAuth !== "none") {
		throw new ConfigError("POSTBACK_AUTH must be unset or none");
	}
	if (environment === "production" && tokens.length === 0 && postbackAuth !== "none") {
		throw new ConfigError(
			"POSTBACK_TOKENS must be set in production (or POSTBACK_AUTH=none to accept unauthenticated postbacks on purpose)",
		);
	}
	const keyring = eventLogKeys(env, environment);
	const database = databaseUrl(env);
	const logLevel = text(env, "LOG_LEVEL") ?? "info";
	if (!["debug", "info", "warn", "error"].includes(logLevel)) {
		throw new ConfigError("LOG_LEVEL must be one of debug, info, warn, error");
	}
	const adminToken = text(env, "ADMIN_TOKEN") ?? null;
	const seconds = (name: string, fallback: number) =>
		read(env, name, positiveNumber, fallback, "a positive number of seconds") * 1000;
	const secrets = [
		...(credentials ? Object.values(credentials).map((c) => c.apiKey) : []),
		...tokens,
		...(adminToken ? [adminToken] : []),
		...(keyring ? keyring.keys.map((k) => k.base64) : []),
		// A URL with a password is a secret whole, and its password wherever else it shows up.
		...(database?.password ? [database.url, database.password] : []),
		...[text(env, "AWS_SECRET_ACCESS_KEY")].filter((s): s is string => !!s),
	];
	const deadlineMs = seconds("POSTBACK_DEADLINE_SECONDS", 20);
	const claimLeaseMs = seconds("CLAIM_LEASE_SECONDS", 30);
	// A claim must outlive the postback that holds it, or a slow postback's writes could be redone.
	if (claimLeaseMs <= deadlineMs) {
		throw new ConfigError("CLAIM_LEASE_SECONDS must be longer than POSTBACK_DEADLINE_SECONDS");
	}
	return {
		environment,
		host: text(env, "HOST") ?? "0.0.0.0",
		port: read(env, "PORT", port, 5000, "an integer port from 0 to 65535"),
		databasePath: text(env, "DATABASE_PATH") ?? "./data/citybase.sqlite",
		databaseUrl: database?.url ?? null,
		knack: {
			apiUrl: url(env, "KNACK_API_URL", "https://api.knack.com/v1"),
			credentials,
			rateLimitPerSecond: read(env, "KNACK_RATE_LIMIT", positiveNumber, 10, "a positive number of requests per second"),
			dailyReserve: dailyReserve(env),
			timeoutMs: seconds("KNACK_TIMEOUT_SECONDS", 10),
			sandboxPort: read(env, "KNACK_SANDBOX_PORT", port, 5001, "an integer port from 0 to 65535"),
			sandboxHost: text(env, "KNACK_SANDBOX_HOST") ?? "127.0.0.1",
		},
		postback: {
			deadlineMs,
			claimLeaseMs,
			maxBodyBytes: read(
				env,
				"MAX_BODY_BYTES",
				T.Integer({ minimum: 1024 }),
				256 * 1024,
				"an integer of at least 1024",
			),
			tokens,
		},
		recovery: {
			intervalMs: seconds("RECOVERY_INTERVAL_SECONDS", 30),
			maxAttempts: read(env, "RECOVERY_MAX_ATTEMPTS", T.Integer({ minimum: 1 }), 50, "an integer of at least 1"),
			maxAgeMs: read(env, "RECOVERY_MAX_AGE_HOURS", positiveNumber, 72, "a positive number of hours") * 3_600_000,
		},
		adminToken,
		eventLogKeys: keyring,
		shutdownGraceMs: seconds("SHUTDOWN_GRACE_SECONDS", 20),
		shutdownDrainMs:
			read(env, "SHUTDOWN_DRAIN_SECONDS", T.Number({ minimum: 0 }), 2, "a number of seconds (0 or more)") * 1000,
		logLevel: logLevel as Config["logLevel"],
		health: healthConfig(env, dailyReserve(env)),
		secrets,
	};
}

function dailyReserve(env: Env): number {
	return read(env, "KNACK_DAILY_RESERVE", T.Integer({ minimum: 0 }), 500, "a whole number of calls (0 or more)");
}

function healthConfig(env: Env, knackDailyReserve: number): HealthConfig {
	const seconds = (name: string, fallback: number) =>
		read(env, name, positiveNumber, fallback, "a positive number of seconds") * 1000;
	const minutes = (name: string, fallback: number) =>
		read(env, name, positiveNumber, fallback, "a positive number of minutes") * 60_000;
	const backlogDegradedMs = minutes("HEALTH_BACKLOG_DEGRADED_MINUTES", 30);
	const backlogFailingMs = minutes("HEALTH_BACKLOG_FAILING_MINUTES", 240);
	if (backlogFailingMs <= backlogDegradedMs) {
		throw new ConfigError("HEALTH_BACKLOG_FAILING_MINUTES must be longer than HEALTH_BACKLOG_DEGRADED_MINUTES");
	}
	return {
		sampleIntervalMs: seconds("HEALTH_SAMPLE_SECONDS", 5),
		storeMinFreeBytes:
			read(env, "HEALTH_STORE_MIN_FREE_MB", T.Number({ minimum: 0 }), 100, "a number of megabytes, 0 or more") *
			1_048_576,
		knackWindowMs: seconds("HEALTH_KNACK_WINDOW_SECONDS", 300),
		knackAuthFailures: read(
			env,
			"HEALTH_KNACK_AUTH_FAILURES",
			T.Integer({ minimum: 1 }),
			3,
			"an integer of at least 1",
		),
		backlogDegradedMs,
		backlogFailingMs,
		logsWindowMs: seconds("HEALTH_LOGS_WINDOW_SECONDS", 900),
		knackDailyReserve,
	};
}

/** Which Knack field map applies (docs/design.md §4): production data only in production. */
export function fieldMapName(environment: EnvironmentName): FieldMapName {
	return environment === "production" ? "PRODUCTION" : "UAT";
}
