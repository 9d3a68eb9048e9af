/**
 * A local CloudWatch Logs endpoint for tests: the real SDK client talks JSON 1.1 over HTTP
 * to it. It enforces PutLogEvents' limits the way AWS does, so a sink that breaks them
 * fails its tests here rather than in production, and it can throttle, fail or hang on
 * demand.
 */
export interface EmulatorRequest {
	/** The operation, e.g. `PutLogEvents`. */
	target: string;
	body: Record<string, unknown>;
	/** The HTTP status it was answered with; undefined while it is held. */
	status?: number;
}

export interface StoredEvent {
	timestamp: number;
	message: string;
}

export interface CloudWatchEmulator {
	endpoint: string;
	requests(): EmulatorRequest[];
	groups(): string[];
	streams(group: string): string[];
	events(group: string, stream: string): StoredEvent[];
	retention(group: string): number | undefined;
	/** Deletes a group as an operator (or a cleanup job) would, behind the sink's back. */
	deleteGroup(group: string): void;
	/** The next `n` requests (of `operation`, when given) are answered ThrottlingException. */
	throttleNext(n: number, operation?: string): void;
	/** The next `n` requests (of `operation`, when given) are answered with `status`. */
	failNext(n: number, status: number, operation?: string): void;
	/** Holds each request `ms` before answering it; `false` stops that and releases the held ones. */
	hang(ms: number | false): void;
	/** How many requests are being held right now. */
	held(): number;
	stop(): Promise<void>;
}

const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;
const MAX_EVENT_BYTES = 256 * 1024;
const MAX_SPAN_MS = 24 * 60 * 60 * 1000;
const RETENTION_DAYS = new Set([
	1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
]);
const TARGET_PREFIX = "Logs_20140328.";

interface Group {
	retention?: number;
	streams: Map<string, { creationTime: number; events: StoredEvent[] }>;
}

interface Fault {
	remaining: number;
	operation?: string;
	status: number;
	type: string;
}

class AwsError {
	constructor(
		readonly type: string,
		readonly message: string,
		readonly status = 400,
	) {}
}

export function startCloudWatchEmulator(): CloudWatchEmulator {
	const groups = new Map<string, Group>();
	const log: EmulatorRequest[] = [];
	const faults: Fault[] = [];
	const heldRequests = new Set<() => void>();
	let hangMs: number | false = false;

	const hold = (ms: number) =>
		new Promise<void>((resolve) => {
			const release = () => {
				clearTimeout(timer);
				heldRequests.delete(release);
				resolve();
			};
			const timer = setTimeout(release, ms);
			heldRequests.add(release);
		});

	const takeFault = (operation: string): Fault | undefined => {
		const fault = faults.find((f) => f.remaining > 0 && (f.operation === undefined || f.operation === operation));
		if (fault) fault.remaining--;
		return fault;
	};

	const groupNamed = (body: Record<string, unknown>): Group => {
		const group = groups.get(String(body.logGroupName));
		if (!group) throw new AwsError("ResourceNotFoundException", "The specified log group does not exist.");
		return group;
	};

	const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
		CreateLogGroup(body) {
			const name = String(body.logGroupName ?? "");
			if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name)) throw invalid(`Invalid log group name: ${name}`);
			if (groups.has(name))
				throw new AwsError("ResourceAlreadyExistsException", "The specified log group already exists");
			groups.set(name, { streams: new Map() });
			return {};
		},
		CreateLogStream(body) {
			const group = groupNamed(body);
			const name = String(body.logStreamName ?? "");
			if (!/^[^:*]{1,512}$/.test(name)) throw invalid(`Invalid log stream name: ${name}`);
			if (group.streams.has(name))
				throw new AwsError("ResourceAlreadyExistsException", "The specified log stream already exists");
			group.streams.set(name, { creationTime: Date.now(), events: [] });
			return {};
		},
		PutRetentionPolicy(body) {
			const group = groupNamed(body);
			const days = body.retentionInDays;
			if (typeof days !== "number" || !RETENTION_DAYS.has(days)) throw invalid(`Invalid retentionInDays: ${days}`);
			group.retention = days;
			return {};
		},
		DescribeLogStreams(body) {
			const group = groupNamed(body);
			const prefix = String(body.logStreamNamePrefix ?? "");
			const logStreams = [...group.streams]
				.filter(([name]) => name.startsWith(prefix))
				.sort(([a], [b]) => (a < b ? -1 : 1))
				.map(([logStreamName, s]) => ({ logStreamName, creationTime: s.creationTime, storedBytes: 0 }));
			return { logStreams };
		},
		PutLogEvents(body) {
			const group = groupNamed(body);
			const stream = group.streams.get(String(body.logStreamName));
			if (!stream) throw new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");
			const events = validateBatch(body.logEvents);
			stream.events.push(...events);
			return { nextSequenceToken: String(stream.events.length) };
		},
	};

	const answer = (status: number, body: unknown) =>
		new Response(JSON.stringify(body), {
			status,
			headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": crypto.randomUUID() },
		});

	const handle = async (request: Request): Promise<Response> => {
		const target = request.headers.get("x-amz-target") ?? "";
		const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
		let body: Record<string, unknown> = {};
		try {
			body = JSON.parse(await request.text()) as Record<string, unknown>;
		} catch {
			return answer(400, { __type: "SerializationException", message: "Body is not JSON" });
		}
		const record: EmulatorRequest = { target: operation, body };
		log.push(record);
		const respond = (status: number, payload: unknown) => {
			record.status = status;
			return answer(status, payload);
		};
		if (hangMs !== false) await hold(hangMs);
		if (
			request.method !== "POST" ||
			request.headers.get("content-type") !== "application/x-amz-json-1.1" ||
			!target.startsWith(TARGET_PREFIX)
		) {
			return respond(400, { __type: "UnknownOperationException", message: `Not a Logs JSON 1.1 request: ${target}` });
		}
		if (
			!/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[^/]+\/logs\/aws4_request/.test(
				request.headers.get("authorization") ?? "",
			)
		) {
			return respond(403, { __type: "MissingAuthenticationTokenException", message: "Request is not signed" });
		}
		const fault = takeFault(operation);
		if (fault) return respond(fault.status, { __type: fault.type, message: "Injected by the test" });
		const run = operations[operation];
		if (!run) return respond(400, { __type: "UnknownOperationException", message: `Unsupported: ${operation}` });
		try {
			return respond(200, run(body));
		} catch (error) {
			if (!(error instanceof AwsError)) throw error;
			return respond(error.status, { __type: error.type, message: error.message });
		}
	};

	// idleTimeout 0: a request held by `hang` must stay open for as long as the test wants.
	const server = Bun.serve({ hostname: "127.0.0.1", port: 0, idleTimeout: 0, fetch: handle });

	return {
		endpoint: `http://127.0.0.1:${server.port}`,
		requests: () => [...log],
		groups: () => [...groups.keys()],
		streams: (group) => [...(groups.get(group)?.streams.keys() ?? [])],
		events: (group, stream) => [...(groups.get(group)?.streams.get(stream)?.events ?? [])],
		retention: (group) => groups.get(group)?.retention,
		deleteGroup: (group) => void groups.delete(group),
		throttleNext(n, operation) {
			faults.push({ remaining: n, operation, status: 400, type: "ThrottlingException" });
		},
		failNext(n, status, operation) {
			faults.push({ remaining: n, operation, status, type: errorTypeFor(status) });
		},
		hang(ms) {
			hangMs = ms;
			if (ms === false) for (const release of [...heldRequests]) release();
		},
		held: () => heldRequests.size,
		async stop() {
			hangMs = false;
			for (const release of [...heldRequests]) release();
			await server.stop(true);
		},
	};
}

function invalid(message: string): AwsError {
	return new AwsError("InvalidParameterException", message);
}

function errorTypeFor(status: number): string {
	if (status >= 500) return "ServiceUnavailableException";
	if (status === 403) return "AccessDeniedException";
	return "InvalidParameterException";
}

/** PutLogEvents' documented limits; AWS answers InvalidParameterException to each. */
function validateBatch(value: unknown): StoredEvent[] {
	if (!Array.isArray(value) || value.length === 0) throw invalid("logEvents must hold at least one event");
	if (value.length > MAX_BATCH_EVENTS) throw invalid(`${value.length} events exceed ${MAX_BATCH_EVENTS}`);
	const events: StoredEvent[] = [];
	let bytes = 0;
	for (const raw of value as Array<Record<string, unknown>>) {
		const { timestamp, message } = raw;
		if (typeof timestamp !== "number" || typeof message !== "string" || message.length === 0) {
			throw invalid("each event needs a numeric timestamp and a non-empty message");
		}
		const size = Buffer.byteLength(message) + EVENT_OVERHEAD_BYTES;
		if (size > MAX_EVENT_BYTES) throw invalid(`an event of ${size} bytes exceeds ${MAX_EVENT_BYTES}`);
		const previous = events.at(-1);
		if (previous && timestamp < previous.timestamp) {
			throw invalid("Log events in a single PutLogEvents request must be in chronological order.");
		}
		bytes += size;
		events.push({ timestamp, message });
	}
	if (bytes > MAX_BATCH_BYTES) throw invalid(`a batch of ${bytes} bytes exceeds ${MAX_BATCH_BYTES}`);
	const first = events[0] as StoredEvent;
	const last = events.at(-1) as StoredEvent;
	if (last.timestamp - first.timestamp > MAX_SPAN_MS) {
		throw invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");
	}
	return events;
}
