import { ofetch } from "ofetch";
import type { FilterRule, KnackRecord } from "./plan.ts";
import type { RateLimiter } from "./rateLimiter.ts";

/**
 * The Knack REST client (SPEC §3): one HTTP call per method, never retried here (a
 * retried POST can create a duplicate record; the projector decides what to retry,
 * after looking for the record). Every answer is a value, never an exception.
 */
export interface KnackCredentials {
	appId: string;
	apiKey: string;
}

export type KnackFailure = {
	ok: false;
	/** Knack's HTTP status, or null when no answer came (network error, timeout) */
	status: number | null;
	/** Knack's body text, passed through to CityBase as the Flask service did */
	text: string;
	reason: "http" | "timeout" | "network" | "deadline";
	/** from Retry-After / X-RateLimit-Reset on a 429 */
	retryAfterMs: number | null;
	durationMs: number;
};
export type KnackAnswer<T> = { ok: true; status: number; value: T; durationMs: number } | KnackFailure;

export interface KnackClient {
	create(
		app: string,
		objectKey: string,
		body: Record<string, unknown>,
		deadline?: number,
	): Promise<KnackAnswer<KnackRecord>>;
	update(
		app: string,
		objectKey: string,
		recordId: string,
		body: Record<string, unknown>,
		deadline?: number,
	): Promise<KnackAnswer<KnackRecord>>;
	get(app: string, objectKey: string, recordId: string, deadline?: number): Promise<KnackAnswer<KnackRecord>>;
	find(app: string, objectKey: string, rules: FilterRule[], deadline?: number): Promise<KnackAnswer<KnackRecord[]>>;
}

export interface KnackClientOptions {
	apiUrl: string;
	credentials: Record<string, KnackCredentials>;
	timeoutMs: number;
	limiter: RateLimiter;
	clock?: () => number;
	/** called after every HTTP exchange, for logs and metrics */
	onCall?: (call: {
		app: string;
		method: string;
		objectKey: string;
		status: number | null;
		durationMs: number;
	}) => void;
}

export function createKnackClient(options: KnackClientOptions): KnackClient {
	const clock = options.clock ?? Date.now;

	async function call<T>(
		app: string,
		method: "GET" | "POST" | "PUT",
		objectKey: string,
		path: string,
		body: Record<string, unknown> | undefined,
		deadline: number,
		read: (json: unknown) => T,
	): Promise<KnackAnswer<T>> {
		const credentials = options.credentials[app];
		if (!credentials) throw new Error(`no Knack credentials for app ${app}`);
		const started = clock();
		const failure = (f: Omit<KnackFailure, "ok" | "durationMs">): KnackFailure => ({
			ok: false,
			durationMs: clock() - started,
			...f,
		});
		if (!(await options.limiter.acquire(app, deadline))) {
			return failure({
				status: null,
				text: "deadline reached waiting for the Knack rate limit",
				reason: "deadline",
				retryAfterMs: null,
			});
		}
		const sentAt = clock();
		const timeout = Math.min(options.timeoutMs, deadline - sentAt);
		if (timeout <= 0) {
			return failure({
				status: null,
				text: "deadline reached before calling Knack",
				reason: "deadline",
				retryAfterMs: null,
			});
		}
		let status: number | null = null;
		try {
			const response = await ofetch.raw<string, "text">(`${options.apiUrl}/objects/${objectKey}/records${path}`, {
				method,
				headers: {
					"X-Knack-Application-Id": credentials.appId,
					"X-Knack-REST-API-Key": credentials.apiKey,
					"Content-Type": "application/json",
				},
				body: body === undefined ? undefined : JSON.stringify(body),
				retry: false,
				timeout,
				ignoreResponseError: true,
				responseType: "text",
			});
			status = response.status;
			const text = response._data ?? "";
			if (status >= 200 && status < 300) {
				let json: unknown;
				try {
					json = JSON.parse(text);
				} catch {
					return failure({
						status: 502,
						text: `Knack answered ${status} with a body that is not JSON`,
						reason: "http",
						retryAfterMs: null,
					});
				}
				return { ok: true, status, value: read(json), durationMs: clock() - started };
			}
			return failure({ status, text, reason: "http", retryAfterMs: retryAfter(response.headers, clock()) });
		} catch (error) {
			const timedOut = isTimeout(error);
			return failure({
				status: null,
				text: timedOut
					? `Knack did not answer within ${Math.round(timeout)} ms`
					: `Knack could not be reached: ${causeMessage(error)}`,
				reason: timedOut ? "timeout" : "network",
				retryAfterMs: null,
			});
		} finally {
			options.onCall?.({ app, method, objectKey, status, durationMs: clock() - sentAt });
		}
	}

	const record = (json: unknown) => json as KnackRecord;
	return {
		create: (app, objectKey, body, deadline = Number.POSITIVE_INFINITY) =>
			call(app, "POST", objectKey, "", body, deadline, record),
		update: (app, objectKey, recordId, body, deadline = Number.POSITIVE_INFINITY) =>
			call(app, "PUT", objectKey, `/${encodeURIComponent(recordId)}`, body, deadline, record),
		get: (app, objectKey, recordId, deadline = Number.POSITIVE_INFINITY) =>
			call(app, "GET", objectKey, `/${encodeURIComponent(recordId)}`, undefined, deadline, record),
		find: (app, objectKey, rules, deadline = Number.POSITIVE_INFINITY) => {
			const filters = encodeURIComponent(JSON.stringify({ match: "and", rules }));
			return call(app, "GET", objectKey, `?filters=${filters}&rows_per_page=1000`, undefined, deadline, (json) => {
				const records = (json as { records?: unknown }).records;
				return Array.isArray(records) ? (records as KnackRecord[]) : [];
			});
		},
	};
}

function retryAfter(headers: Headers, now: number): number | null {
	const after = headers.get("retry-after");
	if (after) {
		const seconds = Number(after);
		if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
		const date = Date.parse(after);
		if (Number.isFinite(date)) return Math.max(0, date - now);
	}
	// Knack's burst-limit reset is epoch seconds (NOTES §1, unverified); ignore anything implausible.
	const reset = Number(headers.get("x-ratelimit-reset"));
	if (Number.isFinite(reset) && reset > 0) {
		const wait = reset * 1000 - now;
		if (wait >= 0 && wait <= 60_000) return wait;
	}
	return null;
}

function isTimeout(error: unknown): boolean {
	const cause = (error as { cause?: { name?: string } })?.cause;
	return cause?.name === "TimeoutError" || (error as { name?: string })?.name === "TimeoutError";
}

function causeMessage(error: unknown): string {
	const cause = (error as { cause?: unknown })?.cause;
	if (cause instanceof Error) return cause.message;
	return error instanceof Error ? error.message : String(error);
}
