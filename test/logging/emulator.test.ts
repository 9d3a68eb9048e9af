/**
 * The emulator must refuse what AWS refuses, or the batching tests could not fail.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
	CloudWatchLogsClient,
	CreateLogGroupCommand,
	CreateLogStreamCommand,
	DescribeLogStreamsCommand,
	PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { type CloudWatchEmulator, startCloudWatchEmulator } from "../support/cloudwatch-emulator.ts";
import { TEST_CREDENTIALS } from "./helpers.ts";

const logGroupName = "/emulator/test";
const logStreamName = "2025/01/15";
const T = Date.parse("2025-01-15T12:00:00Z");

let emulator: CloudWatchEmulator;
let client: CloudWatchLogsClient;

beforeAll(async () => {
	emulator = startCloudWatchEmulator();
	client = new CloudWatchLogsClient({
		region: "us-east-1",
		credentials: TEST_CREDENTIALS,
		endpoint: emulator.endpoint,
		maxAttempts: 1,
	});
	await client.send(new CreateLogGroupCommand({ logGroupName }));
	await client.send(new CreateLogStreamCommand({ logGroupName, logStreamName }));
});

afterAll(async () => {
	client.destroy();
	await emulator.stop();
});

const put = (logEvents: Array<{ timestamp: number; message: string }>, stream = logStreamName) =>
	client.send(new PutLogEventsCommand({ logGroupName, logStreamName: stream, logEvents }));

const failure = (promise: Promise<unknown>) =>
	promise.then(
		() => undefined,
		(error: Error) => error.name,
	);

describe("the CloudWatch emulator", () => {
	test("accepts a valid batch and lists the stream", async () => {
		await put([{ timestamp: T, message: "ok" }]);
		expect(emulator.events(logGroupName, logStreamName)).toEqual([{ timestamp: T, message: "ok" }]);
		const described = await client.send(new DescribeLogStreamsCommand({ logGroupName, logStreamNamePrefix: "2025/" }));
		expect(described.logStreams?.map((s) => s.logStreamName)).toEqual([logStreamName]);
	});

	test("answers ResourceAlreadyExistsException and ResourceNotFoundException in AWS's shape", async () => {
		expect(await failure(client.send(new CreateLogGroupCommand({ logGroupName })))).toBe(
			"ResourceAlreadyExistsException",
		);
		expect(await failure(put([{ timestamp: T, message: "x" }], "missing"))).toBe("ResourceNotFoundException");
	});

	test("refuses batches beyond PutLogEvents' limits", async () => {
		const events = (n: number, message = "x") => Array.from({ length: n }, () => ({ timestamp: T, message }));
		expect(await failure(put(events(10_001)))).toBe("InvalidParameterException");
		expect(await failure(put(events(5, "y".repeat(250_000))))).toBe("InvalidParameterException");
		expect(await failure(put(events(1, "z".repeat(256 * 1024))))).toBe("InvalidParameterException");
		expect(
			await failure(
				put([
					{ timestamp: T + 1, message: "later" },
					{ timestamp: T, message: "earlier" },
				]),
			),
		).toBe("InvalidParameterException");
		expect(
			await failure(
				put([
					{ timestamp: T, message: "first" },
					{ timestamp: T + 24 * 3_600_000 + 1, message: "a day later" },
				]),
			),
		).toBe("InvalidParameterException");
		expect(emulator.events(logGroupName, logStreamName).map((e) => e.message)).not.toContain("later");
	});

	test("refuses unsigned requests", async () => {
		const response = await fetch(emulator.endpoint, {
			method: "POST",
			headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.CreateLogGroup" },
			body: JSON.stringify({ logGroupName: "/unsigned" }),
		});
		expect(response.status).toBe(403);
		expect(emulator.groups()).not.toContain("/unsigned");
	});

	test("throttles and fails on demand", async () => {
		emulator.throttleNext(1);
		emulator.failNext(1, 503);
		expect(await failure(put([{ timestamp: T, message: "t" }]))).toBe("ThrottlingException");
		expect(await failure(put([{ timestamp: T, message: "f" }]))).toBe("ServiceUnavailableException");
		await put([{ timestamp: T, message: "ok again" }]);
		expect(emulator.events(logGroupName, logStreamName).at(-1)?.message).toBe("ok again");
	});
});
