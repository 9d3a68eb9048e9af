import { type CloudWatchSinkOptions, createCloudWatchSink } from "../../src/logging/cloudwatch.ts";
import type { CloudWatchEmulator } from "../support/cloudwatch-emulator.ts";

export const TEST_CREDENTIALS = { accessKeyId: "AKIDTEST", secretAccessKey: "aws-secret-test-value" };

/** A sink on the emulator whose timer never fires by itself and whose retries are quick. */
export function sinkOn(emulator: CloudWatchEmulator, overrides: Partial<CloudWatchSinkOptions> = {}) {
	const errors: Error[] = [];
	const sink = createCloudWatchSink({
		environment: "development",
		region: "us-east-1",
		credentials: TEST_CREDENTIALS,
		endpoint: emulator.endpoint,
		flushIntervalMs: 3_600_000,
		retryBaseDelayMs: 5,
		onError: (error) => errors.push(error),
		...overrides,
	});
	return { sink, errors };
}

export async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error("condition not met in time");
		await Bun.sleep(5);
	}
}

export const at = (iso: string) => Date.parse(iso);
