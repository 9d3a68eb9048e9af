/**
 * Splits buffered log lines into PutLogEvents calls that CloudWatch accepts:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
 */
export interface LogEvent {
	timestamp: number;
	message: string;
}

export interface Batch {
	stream: string;
	events: LogEvent[];
}

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
/** What CloudWatch adds to each message's UTF-8 length when it counts a batch's bytes. */
export const EVENT_OVERHEAD_BYTES = 26;
/** The 256 KiB event limit includes the overhead; newer docs say 1 MiB, the older limit is safe under both. */
export const MAX_EVENT_BYTES = 256 * 1024 - EVENT_OVERHEAD_BYTES;
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;

const TRUNCATION_MARK = " [truncated]";
const truncationMarkBytes = Buffer.byteLength(TRUNCATION_MARK);

/**
 * Sorts `events` in place by timestamp and cuts them into batches, each for one stream,
 * within the count, byte and 24-hour limits. Consecutive events share a stream because a
 * stream is a day and the events are sorted.
 */
export function planBatches(events: LogEvent[], streamOf: (timestampMs: number) => string): Batch[] {
	events.sort((a, b) => a.timestamp - b.timestamp);
	const batches: Batch[] = [];
	let current: Batch | undefined;
	let firstTimestamp = 0;
	let bytes = 0;
	for (const event of events) {
		const stream = streamOf(event.timestamp);
		const fitted = fitEvent(event);
		const size = Buffer.byteLength(fitted.message) + EVENT_OVERHEAD_BYTES;
		if (
			current === undefined ||
			current.stream !== stream ||
			current.events.length === MAX_BATCH_EVENTS ||
			bytes + size > MAX_BATCH_BYTES ||
			fitted.timestamp - firstTimestamp >= MAX_BATCH_SPAN_MS
		) {
			current = { stream, events: [] };
			batches.push(current);
			firstTimestamp = fitted.timestamp;
			bytes = 0;
		}
		current.events.push(fitted);
		bytes += size;
	}
	return batches;
}

/** An oversized line is cut at a character boundary and marked, rather than lost. */
function fitEvent(event: LogEvent): LogEvent {
	// A UTF-16 code unit is at most 3 UTF-8 bytes, so short lines need no encoding here.
	if (event.message.length * 3 <= MAX_EVENT_BYTES) return event;
	const bytes = Buffer.from(event.message);
	if (bytes.length <= MAX_EVENT_BYTES) return event;
	let cut = MAX_EVENT_BYTES - truncationMarkBytes;
	while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
	return { timestamp: event.timestamp, message: bytes.subarray(0, cut).toString("utf8") + TRUNCATION_MARK };
}
