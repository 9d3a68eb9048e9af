import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type Environment, logGroupName } from "../../src/logging/cloudwatch.ts";
import { createLogger } from "../../src/logging/logger.ts";
import { type CloudWatchEmulator, startCloudWatchEmulator } from "../support/cloudwatch-emulator.ts";
import { at, eventually, sinkOn } from "./helpers.ts";

const DEV_GROUP = "/dts/citybase/postback/development";
const NOW = at("2025-01-15T18:00:00Z");
const fixedClock = () => NOW;

let emulator: CloudWatchEmulator;
const toClose: Array<{ close(): Promise<void> }> = [];

beforeEach(() => {
	emulator = startCloudWatchEmulator();
});

afterEach(async () => {
	emulator.hang(false);
	await Promise.all(toClose.splice(0).map((s) => s.close()));
	await emulator.stop();
});

function open(overrides: Parameters<typeof sinkOn>[1] = {}) {
	const made = sinkOn(emulator, { clock: fixedClock, ...overrides });
	toClose.push(made.sink);
	return made;
}

const operations = (name: string) => emulator.requests().filter((r) => r.target === name);
const messages = (stream: string, group = DEV_GROUP) => emulator.events(group, stream).map((e) => e.message);

describe("groups, streams and retention", () => {
	const retentions: Array<[Environment, number | undefined]> = [
		["development", 3],
		["staging", undefined],
		["uat", undefined],
		["production", undefined],
	];
	for (const [environment, days] of retentions) {
		test(`${environment}: group /dts/citybase/postback/${environment}, retention ${days ?? "never expires"}`, async () => {
			const { sink, errors } = open({ environment });
			sink.write("a line", NOW);
			await sink.flush();

			const group = `/dts/citybase/postback/${environment}`;
			expect(logGroupName(environment)).toBe(group);
			expect(emulator.groups()).toEqual([group]);
			expect(emulator.streams(group)).toEqual(["2025/01/15"]);
			expect(emulator.retention(group)).toBe(days);
			expect(operations("PutRetentionPolicy")).toHaveLength(days === undefined ? 0 : 1);
			expect(errors).toEqual([]);
		});
	}

	test("creates the group and the day's stream once, not on every flush", async () => {
		const { sink } = open();
		for (let i = 0; i < 3; i++) {
			sink.write(`line ${i}`, NOW + i);
			await sink.flush();
		}
		expect(operations("CreateLogGroup")).toHaveLength(1);
		expect(operations("CreateLogStream")).toHaveLength(1);
		expect(operations("PutLogEvents")).toHaveLength(3);
		expect(messages("2025/01/15")).toEqual(["line 0", "line 1", "line 2"]);
	});

	test("a group and stream that already exist (a restart) are used as they are", async () => {
		const first = open();
		first.sink.write("before restart", NOW);
		await first.sink.close();

		const second = open();
		second.sink.write("after restart", NOW + 1);
		await second.sink.flush();

		const creations = emulator.requests().filter((r) => r.target.startsWith("Create"));
		expect(creations.map((r) => [r.target, r.status])).toEqual([
			["CreateLogGroup", 200],
			["CreateLogStream", 200],
			["CreateLogGroup", 400],
			["CreateLogStream", 400],
		]);
		expect(messages("2025/01/15")).toEqual(["before restart", "after restart"]);
		expect(second.errors).toEqual([]);
		expect(second.sink.stats()).toMatchObject({ sent: 1, failedBatches: 0 });
	});

	test("a group deleted behind the sink's back is created again", async () => {
		const { sink, errors } = open();
		sink.write("first", NOW);
		await sink.flush();
		emulator.deleteGroup(DEV_GROUP);

		sink.write("second", NOW + 1);
		await sink.flush();

		expect(messages("2025/01/15")).toEqual(["second"]);
		expect(operations("CreateLogGroup")).toHaveLength(2);
		expect(errors).toEqual([]);
	});
});

describe("daily streams in America/Chicago", () => {
	test("a flush holding lines of two days sends them to their two streams (winter, UTC-6)", async () => {
		let now = at("2025-01-15T05:59:00Z");
		const { sink } = open({ clock: () => now });
		const logger = createLogger({ sinks: [sink], clock: () => now });
		logger.info("late on the 14th");
		now = at("2025-01-15T06:01:00Z");
		logger.info("early on the 15th");
		await sink.flush();

		expect(emulator.streams(DEV_GROUP).sort()).toEqual(["2025/01/14", "2025/01/15"]);
		expect(messages("2025/01/14").map((m) => JSON.parse(m).message)).toEqual(["late on the 14th"]);
		expect(messages("2025/01/15").map((m) => JSON.parse(m).message)).toEqual(["early on the 15th"]);
	});

	test("rolls over at Chicago midnight without a restart (summer, UTC-5)", async () => {
		let now = at("2025-07-04T04:59:00Z");
		const { sink } = open({ clock: () => now });
		sink.write("july 3rd", now);
		await sink.flush();
		now = at("2025-07-04T05:01:00Z");
		sink.write("july 4th", now);
		await sink.flush();

		expect(messages("2025/07/03")).toEqual(["july 3rd"]);
		expect(messages("2025/07/04")).toEqual(["july 4th"]);
		expect(operations("CreateLogStream").map((r) => r.body.logStreamName)).toEqual(["2025/07/03", "2025/07/04"]);
	});
});

describe("PutLogEvents limits", () => {
	test("more than 10,000 lines go in batches of at most 10,000", async () => {
		const { sink } = open();
		for (let i = 0; i < 25_000; i++) sink.write(`line ${i}`, NOW + i);
		await sink.flush();

		const puts = operations("PutLogEvents");
		expect(puts.length).toBeGreaterThanOrEqual(3);
		for (const put of puts) {
			expect(put.status).toBe(200);
			expect((put.body.logEvents as unknown[]).length).toBeLessThanOrEqual(10_000);
		}
		const stored = messages("2025/01/15");
		expect(stored).toHaveLength(25_000);
		expect(stored[24_999]).toBe("line 24999");
	});

	test("more than 1 MiB goes in batches of at most 1,048,576 bytes, counted in UTF-8 plus 26 per event", async () => {
		const { sink } = open();
		// Three bytes a character: under 1 MiB counted in characters, over it in bytes.
		const wide = "€".repeat(100);
		for (let i = 0; i < 5_000; i++) sink.write(`${i} ${wide}`, NOW);
		await sink.flush();

		const puts = operations("PutLogEvents");
		expect(puts.length).toBeGreaterThanOrEqual(2);
		for (const put of puts) {
			expect(put.status).toBe(200);
			const events = put.body.logEvents as Array<{ message: string }>;
			const bytes = events.reduce((sum, e) => sum + Buffer.byteLength(e.message) + 26, 0);
			expect(bytes).toBeLessThanOrEqual(1_048_576);
		}
		expect(messages("2025/01/15")).toHaveLength(5_000);
	});

	test("events are sent sorted by timestamp whatever order they were written in", async () => {
		const { sink } = open();
		const timestamps = [5, 1, 4, 2, 3].map((s) => NOW + s * 1000);
		for (const t of timestamps) sink.write(`at ${t}`, t);
		await sink.flush();

		const stored = emulator.events(DEV_GROUP, "2025/01/15");
		expect(stored.map((e) => e.timestamp)).toEqual([...timestamps].sort((a, b) => a - b));
		expect(operations("PutLogEvents").every((r) => r.status === 200)).toBe(true);
	});

	test("no batch spans more than 24 hours, even on the 25-hour day when DST ends", async () => {
		// 2025-11-02 in Chicago runs from 05:00Z to 06:00Z the next day.
		const first = at("2025-11-02T05:00:00Z");
		const last = at("2025-11-03T05:30:00Z");
		const { sink } = open({ clock: () => at("2025-11-03T06:00:00Z") });
		sink.write("00:00 CDT", first);
		sink.write("23:30 CST", last);
		await sink.flush();

		expect(messages("2025/11/02")).toEqual(["00:00 CDT", "23:30 CST"]);
		for (const put of operations("PutLogEvents")) {
			expect(put.status).toBe(200);
			const events = put.body.logEvents as Array<{ timestamp: number }>;
			const span = (events.at(-1)?.timestamp ?? 0) - (events[0]?.timestamp ?? 0);
			expect(span).toBeLessThanOrEqual(24 * 3_600_000);
		}
	});

	test("a line over the event size limit is truncated at a character boundary, not dropped", async () => {
		const { sink } = open();
		// An odd-length prefix puts the cut in the middle of a two-byte character.
		const huge = `start! ${"é".repeat(200_000)}`;
		sink.write(huge, NOW);
		sink.write("next", NOW + 1);
		await sink.flush();

		const [stored, next] = messages("2025/01/15");
		expect(next).toBe("next");
		expect(Buffer.byteLength(stored ?? "") + 26).toBeLessThanOrEqual(256 * 1024);
		expect(stored?.startsWith("start! éé")).toBe(true);
		expect(stored?.endsWith(" [truncated]")).toBe(true);
		expect(stored).not.toContain("\uFFFD");
	});

	test("lines CloudWatch would refuse (over 14 days old, over 2 hours ahead) are dropped and counted", async () => {
		const { sink } = open();
		sink.write("too old", NOW - 15 * 24 * 3_600_000);
		sink.write("fine", NOW);
		sink.write("too far ahead", NOW + 3 * 3_600_000);
		await sink.flush();

		expect(messages("2025/01/15")).toEqual(["fine"]);
		expect(sink.stats()).toEqual({ sent: 1, dropped: 2, buffered: 0, failedBatches: 0 });
	});
});

describe("flushing", () => {
	test("the timer flushes without being asked", async () => {
		const { sink } = open({ flushIntervalMs: 20 });
		sink.write("on the timer", NOW);
		await eventually(() => messages("2025/01/15").length === 1);
		expect(sink.stats()).toMatchObject({ sent: 1, buffered: 0 });
	});

	test("close flushes what is buffered and stops the timer", async () => {
		const { sink } = open({ flushIntervalMs: 20 });
		sink.write("last words", NOW);
		await sink.close();
		expect(messages("2025/01/15")).toEqual(["last words"]);

		const requestsAfterClose = emulator.requests().length;
		sink.write("after close", NOW);
		await Bun.sleep(100);
		expect(emulator.requests()).toHaveLength(requestsAfterClose);
		expect(sink.stats()).toMatchObject({ sent: 1, dropped: 1 });
	});

	test("write never waits for CloudWatch: 1,000 lines go while the endpoint hangs", async () => {
		const { sink } = open();
		const logger = createLogger({ sinks: [sink], clock: fixedClock });
		sink.write("first", NOW);
		await sink.flush(); // the group and stream exist, so the next flush is one PutLogEvents

		emulator.hang(60_000);
		sink.write("held", NOW);
		let flushed = false;
		const flushing = sink.flush().then(() => {
			flushed = true;
		});
		await eventually(() => emulator.held() === 1);

		for (let i = 0; i < 1_000; i++) logger.info("while hanging", { i });

		expect(emulator.held()).toBe(1);
		expect(flushed).toBe(false);
		expect(sink.stats().buffered).toBe(1_001);

		emulator.hang(false);
		await flushing;
		await sink.flush();
		expect(messages("2025/01/15")).toHaveLength(1_002);
	});

	test("only one flush is in flight: the timer and callers do not pile requests on a slow endpoint", async () => {
		const { sink } = open({ flushIntervalMs: 10 });
		sink.write("first", NOW);
		await sink.flush();

		emulator.hang(60_000);
		sink.write("held", NOW);
		const flushes = [sink.flush(), sink.flush()];
		await eventually(() => emulator.held() === 1);
		sink.write("during the hang", NOW + 1);
		flushes.push(sink.flush());
		await Bun.sleep(100); // ten timer ticks
		expect(emulator.held()).toBe(1);
		expect(operations("PutLogEvents")).toHaveLength(2);

		emulator.hang(false);
		await Promise.all(flushes);
		expect(messages("2025/01/15")).toEqual(["first", "held", "during the hang"]);
	});

	test("a flush asked for during another one waits for it, then sends the lines written since", async () => {
		const { sink } = open();
		sink.write("first", NOW);
		await sink.flush();

		emulator.hang(60_000);
		sink.write("held", NOW);
		const running = sink.flush();
		await eventually(() => emulator.held() === 1);
		sink.write("written meanwhile", NOW + 1);
		const asked = sink.flush();

		emulator.hang(false);
		await Promise.all([running, asked]);
		expect(messages("2025/01/15")).toEqual(["first", "held", "written meanwhile"]);
	});

	test("a hung request is abandoned after the request timeout and its lines are kept", async () => {
		const { sink, errors } = open({ requestTimeoutMs: 100 });
		sink.write("first", NOW);
		await sink.flush();

		emulator.hang(60_000);
		sink.write("kept", NOW);
		await sink.flush();
		expect(errors).toHaveLength(1);
		expect(sink.stats()).toMatchObject({ sent: 1, buffered: 1, failedBatches: 1 });

		emulator.hang(false);
		await sink.flush();
		// The abandoned requests are answered once released, as AWS may process a request
		// its client gave up on: delivery is at least once, so "kept" may be there more than once.
		const stored = messages("2025/01/15");
		expect(stored[0]).toBe("first");
		expect(new Set(stored)).toEqual(new Set(["first", "kept"]));
		expect(sink.stats()).toMatchObject({ sent: 2, buffered: 0 });
	});
});

describe("failures", () => {
	test("throttling is retried with backoff within one flush", async () => {
		const { sink, errors } = open();
		emulator.throttleNext(2, "PutLogEvents");
		sink.write("throttled twice", NOW);
		await sink.flush();

		expect(operations("PutLogEvents").map((r) => r.status)).toEqual([400, 400, 200]);
		expect(messages("2025/01/15")).toEqual(["throttled twice"]);
		expect(errors).toEqual([]);
		expect(sink.stats()).toEqual({ sent: 1, dropped: 0, buffered: 0, failedBatches: 0 });
	});

	test("server errors are retried too, resource creation included", async () => {
		const { sink } = open();
		emulator.failNext(1, 503, "CreateLogGroup");
		emulator.failNext(1, 500, "PutLogEvents");
		sink.write("after 5xx", NOW);
		await sink.flush();

		expect(operations("CreateLogGroup").map((r) => r.status)).toEqual([503, 200]);
		expect(operations("PutLogEvents").map((r) => r.status)).toEqual([500, 200]);
		expect(messages("2025/01/15")).toEqual(["after 5xx"]);
	});

	test("a batch still throttled after its retries goes back in the buffer, then is sent", async () => {
		const { sink, errors } = open();
		emulator.throttleNext(3, "PutLogEvents");
		sink.write("one", NOW);
		sink.write("two", NOW + 1);
		await sink.flush();

		expect(operations("PutLogEvents")).toHaveLength(3);
		expect(errors.map((e) => e.name)).toEqual(["ThrottlingException"]);
		expect(sink.stats()).toEqual({ sent: 0, dropped: 0, buffered: 2, failedBatches: 1 });

		sink.write("three", NOW + 2);
		await sink.flush();
		expect(messages("2025/01/15")).toEqual(["one", "two", "three"]);
		expect(sink.stats()).toEqual({ sent: 3, dropped: 0, buffered: 0, failedBatches: 1 });
	});

	test("a batch CloudWatch refuses outright is dropped and counted, not retried forever", async () => {
		const { sink, errors } = open();
		emulator.failNext(1, 403, "PutLogEvents");
		sink.write("refused", NOW);
		await sink.flush();

		expect(operations("PutLogEvents")).toHaveLength(1);
		expect(errors.map((e) => e.name)).toEqual(["AccessDeniedException"]);
		expect(sink.stats()).toEqual({ sent: 0, dropped: 1, buffered: 0, failedBatches: 1 });

		sink.write("accepted", NOW + 1);
		await sink.flush();
		expect(messages("2025/01/15")).toEqual(["accepted"]);
	});

	test("past the buffer bound the oldest lines are dropped and counted", async () => {
		const { sink } = open({ maxBufferedEvents: 100 });
		for (let i = 0; i < 150; i++) sink.write(`line ${i}`, NOW + i);
		expect(sink.stats()).toEqual({ sent: 0, dropped: 50, buffered: 100, failedBatches: 0 });

		await sink.flush();
		const stored = messages("2025/01/15");
		expect(stored).toHaveLength(100);
		expect(stored[0]).toBe("line 50");
		expect(stored[99]).toBe("line 149");
	});

	test("lines put back after a failure still count against the bound, oldest dropped first", async () => {
		const { sink } = open({ maxBufferedEvents: 100 });
		emulator.throttleNext(3, "PutLogEvents");
		for (let i = 0; i < 80; i++) sink.write(`line ${i}`, NOW + i);
		await sink.flush();
		for (let i = 80; i < 130; i++) sink.write(`line ${i}`, NOW + i);
		expect(sink.stats()).toMatchObject({ dropped: 30, buffered: 100 });

		await sink.flush();
		const stored = messages("2025/01/15");
		expect(stored[0]).toBe("line 30");
		expect(stored).toHaveLength(100);
	});

	test("an onError that throws does not break the flush", async () => {
		const { sink } = open({
			onError: () => {
				throw new Error("reporter broke");
			},
		});
		emulator.failNext(1, 403, "PutLogEvents");
		sink.write("refused", NOW);
		await sink.flush();
		sink.write("accepted", NOW + 1);
		await sink.flush();
		expect(messages("2025/01/15")).toEqual(["accepted"]);
	});
});
