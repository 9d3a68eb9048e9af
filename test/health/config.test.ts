import { expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config.ts";

/** The health thresholds from the environment: defaults, units, and one clear line per bad value. */

test("defaults, in the units the checks use", () => {
	expect(loadConfig({}).health).toEqual({
		sampleIntervalMs: 5_000,
		storeMinFreeBytes: 100 * 1_048_576,
		knackWindowMs: 300_000,
		knackAuthFailures: 3,
		backlogDegradedMs: 30 * 60_000,
		backlogFailingMs: 240 * 60_000,
		logsWindowMs: 900_000,
		knackDailyReserve: 500,
	});
	expect(loadConfig({ HEALTH_STORE_MIN_FREE_MB: "0", HEALTH_KNACK_WINDOW_SECONDS: "2" }).health).toMatchObject({
		storeMinFreeBytes: 0,
		knackWindowMs: 2_000,
	});
});

test("one clear line per bad value", () => {
	const fails = (env: Record<string, string>, message: string) => {
		expect(() => loadConfig(env)).toThrow(ConfigError);
		expect(() => loadConfig(env)).toThrow(message);
	};
	fails({ HEALTH_SAMPLE_SECONDS: "0" }, "HEALTH_SAMPLE_SECONDS must be a positive number of seconds");
	fails({ HEALTH_STORE_MIN_FREE_MB: "-1" }, "HEALTH_STORE_MIN_FREE_MB must be a number of megabytes, 0 or more");
	fails({ HEALTH_KNACK_AUTH_FAILURES: "1.5" }, "HEALTH_KNACK_AUTH_FAILURES must be an integer of at least 1");
	fails(
		{ HEALTH_BACKLOG_DEGRADED_MINUTES: "60", HEALTH_BACKLOG_FAILING_MINUTES: "30" },
		"HEALTH_BACKLOG_FAILING_MINUTES must be longer than HEALTH_BACKLOG_DEGRADED_MINUTES",
	);
});
