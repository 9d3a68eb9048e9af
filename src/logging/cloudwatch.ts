/**
 * A log sink that ships lines to CloudWatch Logs. `write` only appends to a bounded
 * in-memory buffer; a timer drains it, so neither a slow nor a failing CloudWatch can slow
 * a postback (the SDK under Bun has hung before: docs/design.md §8).
 */
import type * as CloudWatchLogs from "@aws-sdk/client-cloudwatch-logs";
import { BoundedBuffer } from "./bounded-buffer.ts";
import { type Batch, type LogEvent, planBatches } from "./cloudwatch-batches.ts";
import { dailyStreamNamer } from "./daily-stream.ts";
import type { LogSink } from "./logger.ts";

export type Environment = "development" | "staging" | "uat" | "production";

export interface CloudWatchSinkOptions {
	environment: Environment;
	region: string;
	credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
	endpoint?: string;
	/** Decides which buffered events CloudWatch would still accept (not too old, not too far ahead). */
	clock?: () => number;
	flushIntervalMs?: number;
	maxBufferedEvents?: number;
	/** Told about every failed batch; it must not log through this sink. */
	onError?: (error: Error) => void;
	/** Bounds each request, so a hung endpoint delays a flush (and `close`) by this much, not forever. */
	requestTimeoutMs?: number;
	/** The first retry's delay; each further retry doubles it. */
	retryBaseDelayMs?: number;
}

export interface CloudWatchStats {
	/** Events CloudWatch accepted. */
	sent: number;
	/** Events given up on: pushed out of a full buffer, rejected by CloudWatch, or outside its time window. */
	dropped: number;
	/** Events written and not yet sent or dropped, a flush's in-flight events included. */
	buffered: number;
	/** Batches that failed after their retries, whether put back or dropped. */
	failedBatches: number;
}

export interface CloudWatchSink extends LogSink {
	flush(): Promise<void>;
	close(): Promise<void>;
	stats(): CloudWatchStats;
}

export function logGroupName(environment: Environment): string {
	return `/dts/citybase/postback/${environment}`;
}

/** Development logs are for debugging this week; the others are the payment audit trail. */
const retentionDays: Record<Environment, number | undefined> = {
	development: 3,
	staging: undefined,
	uat: undefined,
	production: undefined,
};

const MAX_TRIES = 3;
// PutLogEvents accepts nothing older than 14 days or more than 2 hours ahead.
const MAX_EVENT_AGE_MS = 14 * 24 * 60 * 60 * 1000;
const MAX_EVENT_LEAD_MS = 2 * 60 * 60 * 1000;

type Sdk = typeof CloudWatchLogs;

// Loaded on first use only: the SDK costs about 30 MiB and 0.3 s at start-up, and a
// service without AWS settings (development, tests) never needs it.
let sdk: Promise<Sdk> | undefined;
const loadSdk = () => {
	sdk ??= import("@aws-sdk/client-cloudwatch-logs");
	return sdk;
};

export function createCloudWatchSink(options: CloudWatchSinkOptions): CloudWatchSink {
	const group = logGroupName(options.environment);
	const retention = retentionDays[options.environment];
	const clock = options.clock ?? Date.now;
	const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
	const retryBaseDelayMs = options.retryBaseDelayMs ?? 250;
	const streamOf = dailyStreamNamer();
	// maxAttempts 1: the SDK's own retries would block the single flush without the
	// buffer's bound applying; failed batches are retried here and then put back.
	const client = loadSdk().then(
		(aws) =>
			new aws.CloudWatchLogsClient({
				region: options.region,
				credentials: options.credentials,
				endpoint: options.endpoint,
				maxAttempts: 1,
			}),
	);
	const buffer = new BoundedBuffer<LogEvent>(options.maxBufferedEvents ?? 50_000);
	const counts = { sent: 0, dropped: 0, inFlight: 0, failedBatches: 0 };
	let groupReady = false;
	const readyStreams = new Set<string>();
	let closed = false;
	let closing: Promise<void> | undefined;
	let flushing: Promise<void> | undefined;

	const requestOptions = () => ({ abortSignal: AbortSignal.timeout(requestTimeoutMs) });
	// Every call's result is only awaited, so the SDK's per-command typing of `send` is not needed here.
	const send = async (command: (aws: Sdk) => object) =>
		(await client).send(command(await loadSdk()) as never, requestOptions());

	const withRetries = async (call: () => Promise<unknown>): Promise<void> => {
		for (let attempt = 1; ; attempt++) {
			try {
				await call();
				return;
			} catch (error) {
				if (attempt >= MAX_TRIES || !isTransient(error)) throw error;
				await Bun.sleep(retryBaseDelayMs * 2 ** (attempt - 1));
			}
		}
	};

	const createUnlessExists = async (call: () => Promise<unknown>): Promise<void> => {
		try {
			await withRetries(call);
		} catch (error) {
			if (errorName(error) !== "ResourceAlreadyExistsException") throw error;
		}
	};

	const ensureStream = async (stream: string): Promise<void> => {
		if (!groupReady) {
			await createUnlessExists(() => send((aws) => new aws.CreateLogGroupCommand({ logGroupName: group })));
			if (retention !== undefined) {
				await withRetries(() =>
					send((aws) => new aws.PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: retention })),
				);
			}
			groupReady = true;
		}
		if (readyStreams.has(stream)) return;
		await createUnlessExists(() =>
			send((aws) => new aws.CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })),
		);
		readyStreams.add(stream);
	};

	const put = (batch: Batch) =>
		withRetries(() =>
			send(
				(aws) =>
					new aws.PutLogEventsCommand({ logGroupName: group, logStreamName: batch.stream, logEvents: batch.events }),
			),
		);

	const sendBatch = async (batch: Batch): Promise<void> => {
		await ensureStream(batch.stream);
		try {
			await put(batch);
		} catch (error) {
			if (errorName(error) !== "ResourceNotFoundException") throw error;
			// Deleted since it was created here (by an operator, say): create it again, once.
			groupReady = false;
			readyStreams.clear();
			await ensureStream(batch.stream);
			await put(batch);
		}
	};

	const report = (error: unknown) => {
		try {
			options.onError?.(error instanceof Error ? error : new Error(String(error)));
		} catch {
			// The reporter failing must not stop the flush.
		}
	};

	const drain = async (): Promise<void> => {
		const taken = buffer.takeAll();
		if (taken.length === 0) return;
		const now = clock();
		const acceptable = taken.filter(
			(e) => e.timestamp >= now - MAX_EVENT_AGE_MS && e.timestamp <= now + MAX_EVENT_LEAD_MS,
		);
		counts.dropped += taken.length - acceptable.length;
		counts.inFlight = acceptable.length;
		const batches = planBatches(acceptable, streamOf);
		for (const [index, batch] of batches.entries()) {
			try {
				await sendBatch(batch);
				counts.sent += batch.events.length;
			} catch (error) {
				counts.failedBatches++;
				report(error);
				if (isTransient(error)) {
					// CloudWatch is unreachable or pushing back: keep this batch and the rest for the next flush.
					buffer.restore(batches.slice(index).flatMap((b) => b.events));
					counts.inFlight = 0;
					return;
				}
				counts.dropped += batch.events.length;
			}
			counts.inFlight -= batch.events.length;
		}
	};

	/** Starts a flush unless one is running, in which case that one is the answer. */
	const flushOnce = (): Promise<void> => {
		flushing ??= drain()
			.catch(report)
			.finally(() => {
				flushing = undefined;
			});
		return flushing;
	};

	// A flush already running took its events before this call: wait for it, then send what came since.
	const flush = async (): Promise<void> => {
		await flushing;
		await flushOnce();
	};

	const timer = setInterval(() => void flushOnce(), options.flushIntervalMs ?? 5000);
	timer.unref();

	return {
		write(line, timestampMs) {
			if (closed) {
				counts.dropped++;
				return;
			}
			buffer.push({ timestamp: timestampMs, message: line });
		},
		flush,
		close() {
			closed = true;
			clearInterval(timer);
			closing ??= flush().then(async () => (await client).destroy());
			return closing;
		},
		stats() {
			return {
				sent: counts.sent,
				dropped: counts.dropped + buffer.dropped,
				buffered: buffer.size + counts.inFlight,
				failedBatches: counts.failedBatches,
			};
		},
	};
}

function errorName(error: unknown): string | undefined {
	return error instanceof Error ? error.name : undefined;
}

/** Worth retrying: throttling, a server error, or no HTTP answer at all (network, timeout). */
function isTransient(error: unknown): boolean {
	const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
	if (status === undefined) return true;
	return status >= 500 || status === 429 || errorName(error) === "ThrottlingException";
}
