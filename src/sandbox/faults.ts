/**
 * Injected failures. A fault matches a Knack API request by method, object and record
 * (each optional) and is used up after `times` matches. It can delay the answer, answer
 * a status of its choosing, or drop the connection without any HTTP answer.
 */
export interface Fault {
	method?: string;
	objectKey?: string;
	recordId?: string;
	/** How many matching requests it applies to; default 1. `Infinity` in process only. */
	times?: number;
	/** Wait this long before answering (longer than the client's timeout simulates a timeout). */
	delayMs?: number;
	/** Answer this status instead of handling the request. */
	status?: number;
	/** Body for `status`: an object is sent as JSON, a string as is; default Knack's error JSON. */
	body?: unknown;
	/** Sent as the `Retry-After` header with `status`. */
	retryAfter?: number | string;
	/** Close the connection without an HTTP answer. */
	drop?: boolean;
	/**
	 * Perform the request's write first, then fail: "Knack accepted it but we never heard
	 * back". Without it a failing fault writes nothing, and a bare delay writes only if the
	 * client is still waiting when the delay ends.
	 */
	applyBeforeFailing?: boolean;
}

export class FaultError extends Error {}

const STATUS_TEXT: Record<number, string> = {
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	408: "Request Timeout",
	409: "Conflict",
	429: "Rate limit exceeded",
	500: "Internal Server Error",
	502: "Bad Gateway",
	503: "Service Unavailable",
	504: "Gateway Timeout",
};

export function faultAnswer(fault: Fault & { status: number }): Response {
	const headers: Record<string, string> = {};
	if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
	if (typeof fault.body === "string") return new Response(fault.body, { status: fault.status, headers });
	const body = fault.body ?? { errors: [{ message: STATUS_TEXT[fault.status] ?? `HTTP ${fault.status}` }] };
	return Response.json(body, { status: fault.status, headers });
}

const FAULT_KEYS = new Set([
	"method",
	"objectKey",
	"recordId",
	"times",
	"delayMs",
	"status",
	"body",
	"retryAfter",
	"drop",
	"applyBeforeFailing",
]);

/** Validates a fault received as JSON (control endpoint) or from code. */
function parseFault(input: unknown): Fault {
	if (typeof input !== "object" || input === null || Array.isArray(input)) {
		throw new FaultError("a fault is a JSON object");
	}
	const f = input as Record<string, unknown>;
	// A misspelt option would otherwise be ignored and the test would pass for the wrong reason.
	const unknown = Object.keys(f).find((key) => !FAULT_KEYS.has(key));
	if (unknown !== undefined) throw new FaultError(`unknown fault option ${unknown}`);
	for (const key of ["method", "objectKey", "recordId"] as const) {
		if (f[key] !== undefined && typeof f[key] !== "string") throw new FaultError(`${key} must be a string`);
	}
	if (
		f.times !== undefined &&
		!(typeof f.times === "number" && f.times >= 1 && (Number.isInteger(f.times) || f.times === Infinity))
	) {
		throw new FaultError("times must be a positive integer");
	}
	if (f.delayMs !== undefined && !(typeof f.delayMs === "number" && f.delayMs >= 0)) {
		throw new FaultError("delayMs must be a non-negative number");
	}
	if (
		f.status !== undefined &&
		!(Number.isInteger(f.status) && (f.status as number) >= 200 && (f.status as number) <= 599)
	) {
		throw new FaultError("status must be an HTTP status (200-599)");
	}
	if (f.retryAfter !== undefined && typeof f.retryAfter !== "number" && typeof f.retryAfter !== "string") {
		throw new FaultError("retryAfter must be a number or a string");
	}
	for (const key of ["drop", "applyBeforeFailing"] as const) {
		if (f[key] !== undefined && typeof f[key] !== "boolean") throw new FaultError(`${key} must be a boolean`);
	}
	if (f.status !== undefined && f.drop === true) throw new FaultError("a fault either answers a status or drops");
	if (f.status === undefined && f.drop !== true && f.delayMs === undefined) {
		throw new FaultError("a fault needs status, drop or delayMs");
	}
	return { ...(f as Fault), method: typeof f.method === "string" ? f.method.toUpperCase() : undefined };
}

export interface FaultTarget {
	method: string;
	objectKey: string;
	recordId: string | undefined;
}

export class FaultQueue {
	private queue: { fault: Fault; left: number }[] = [];

	/** Throws FaultError for a fault that is not well formed (it may come from JSON). */
	push(fault: Fault): void {
		const parsed = parseFault(fault);
		this.queue.push({ fault: parsed, left: parsed.times ?? 1 });
	}

	clear(): void {
		this.queue = [];
	}

	get size(): number {
		return this.queue.length;
	}

	/** The first queued fault for this request, counted as used. */
	take(target: FaultTarget): Fault | undefined {
		if (this.queue.length === 0) return undefined;
		const index = this.queue.findIndex(
			({ fault }) =>
				(fault.method === undefined || fault.method === target.method) &&
				(fault.objectKey === undefined || fault.objectKey === target.objectKey) &&
				(fault.recordId === undefined || fault.recordId === target.recordId),
		);
		const entry = this.queue[index];
		if (entry === undefined) return undefined;
		entry.left -= 1;
		if (entry.left <= 0) this.queue.splice(index, 1);
		return entry.fault;
	}
}
