import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { memorySink } from "../../src/logging/logger.ts";
import { cloudWatchConfigFromEnv, createServiceLogger } from "../../src/logging/setup.ts";
import { type CloudWatchEmulator, startCloudWatchEmulator } from "../support/cloudwatch-emulator.ts";
import { at } from "./helpers.ts";

const KEYS = { AWS_ACCESS_KEY_ID: "AKIDSETUP", AWS_SECRET_ACCESS_KEY: "aws-secret-from-env" };

describe("cloudWatchConfigFromEnv", () => {
	test("is off without a region or without both keys", () => {
		expect(cloudWatchConfigFromEnv({}, "production")).toBeNull();
		expect(cloudWatchConfigFromEnv(KEYS, "production")).toBeNull();
		expect(cloudWatchConfigFromEnv({ AWS_DEFAULT_REGION: "us-east-1" }, "production")).toBeNull();
		const { AWS_SECRET_ACCESS_KEY: _, ...idOnly } = KEYS;
		expect(cloudWatchConfigFromEnv({ ...idOnly, AWS_REGION: "us-east-1" }, "production")).toBeNull();
		expect(cloudWatchConfigFromEnv({ ...KEYS, AWS_DEFAULT_REGION: "  " }, "production")).toBeNull();
	});

	test("reads the Flask .env's AWS_DEFAULT_REGION, which SDK v3 itself ignores", () => {
		expect(cloudWatchConfigFromEnv({ ...KEYS, AWS_DEFAULT_REGION: "us-east-1" }, "uat")).toEqual({
			environment: "uat",
			region: "us-east-1",
			credentials: { accessKeyId: "AKIDSETUP", secretAccessKey: "aws-secret-from-env" },
			endpoint: undefined,
		});
	});

	test("prefers AWS_REGION, passes a session token, and takes the Logs endpoint over the general one", () => {
		const config = cloudWatchConfigFromEnv(
			{
				...KEYS,
				AWS_REGION: "us-west-2",
				AWS_DEFAULT_REGION: "us-east-1",
				AWS_SESSION_TOKEN: "session",
				AWS_ENDPOINT_URL: "http://127.0.0.1:1",
				AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: "http://127.0.0.1:2",
			},
			"staging",
		);
		expect(config?.region).toBe("us-west-2");
		expect(config?.credentials?.sessionToken).toBe("session");
		expect(config?.endpoint).toBe("http://127.0.0.1:2");
		expect(
			cloudWatchConfigFromEnv({ ...KEYS, AWS_REGION: "us-west-2", AWS_ENDPOINT_URL: "http://127.0.0.1:1" }, "staging")
				?.endpoint,
		).toBe("http://127.0.0.1:1");
	});
});

describe("createServiceLogger", () => {
	let emulator: CloudWatchEmulator;
	beforeEach(() => {
		emulator = startCloudWatchEmulator();
	});
	afterEach(async () => {
		await emulator.stop();
	});

	const NOW = at("2025-03-01T15:00:00Z");
	const secrets = ["knack-street-banner-key", "knack-smart-mobility-key", "postback-token-1", "admin-token-xyz"];

	function serviceLogger() {
		const stdout = memorySink();
		const config = cloudWatchConfigFromEnv(
			{ ...KEYS, AWS_DEFAULT_REGION: "us-east-1", AWS_ENDPOINT_URL: emulator.endpoint },
			"production",
		);
		const made = createServiceLogger({
			level: "info",
			environment: "production",
			secrets,
			cloudWatch: config,
			clock: () => NOW,
			stdout,
		});
		return { ...made, stdout };
	}

	test("no secret reaches stdout or CloudWatch, the AWS secret key included", async () => {
		const { logger, cloudWatch, stdout } = serviceLogger();
		const postback = logger.child({ citybase_id: 70022195, authorization: "Bearer postback-token-1" });
		postback.info("knack call", {
			url: "https://api.knack.com/v1/objects/object_1/records",
			headers: { "X-Knack-Application-Id": "app", "X-Knack-REST-API-Key": "knack-street-banner-key" },
		});
		postback.error("Knack answered 401 for knack-smart-mobility-key", { status: 500 });
		logger.warn("operator call", { header: "Bearer admin-token-xyz", aws: KEYS.AWS_SECRET_ACCESS_KEY });
		logger.info("card", { data: { credit_card: { last_four: "1111" } } });
		await logger.close();

		const cloudWatchLines = emulator.events("/dts/citybase/postback/production", "2025/03/01").map((e) => e.message);
		expect(cloudWatchLines).toEqual(stdout.lines);
		expect(stdout.lines).toHaveLength(4);
		for (const line of [...stdout.lines, ...cloudWatchLines]) {
			for (const secret of [...secrets, KEYS.AWS_SECRET_ACCESS_KEY, "1111"]) expect(line).not.toContain(secret);
		}
		expect(JSON.parse(stdout.lines[1] ?? "")).toMatchObject({ citybase_id: 70022195, status: 500, level: "error" });
		expect(cloudWatch?.stats()).toMatchObject({ sent: 4, dropped: 0 });
	});

	test("CloudWatch's own failures are reported on stdout only", async () => {
		const { logger, cloudWatch, stdout } = serviceLogger();
		emulator.failNext(1, 403, "PutLogEvents");
		logger.info("refused");
		await logger.flush();

		expect(stdout.lines.map((l) => JSON.parse(l).message)).toEqual(["refused", "CloudWatch Logs delivery failed"]);
		expect(JSON.parse(stdout.lines[1] ?? "").error.name).toBe("AccessDeniedException");
		await logger.close();
		expect(emulator.events("/dts/citybase/postback/production", "2025/03/01")).toEqual([]);
		expect(cloudWatch?.stats()).toMatchObject({ sent: 0, dropped: 1, failedBatches: 1 });
	});

	test("without AWS configuration it logs to stdout alone", async () => {
		const stdout = memorySink();
		const { logger, cloudWatch } = createServiceLogger({
			level: "warn",
			environment: "development",
			secrets: ["s3cr3t"],
			cloudWatch: cloudWatchConfigFromEnv({}, "development"),
			stdout,
		});
		logger.info("below the level");
		logger.warn("with s3cr3t");
		await logger.close();
		expect(cloudWatch).toBeNull();
		expect(stdout.lines.map((l) => JSON.parse(l).message)).toEqual(["with [REDACTED]"]);
		expect(emulator.requests()).toEqual([]);
	});
});
