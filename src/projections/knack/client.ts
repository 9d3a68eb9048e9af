import { ofetch } from "ofetch";
import type { Priority } from "./budget.ts";
import type { FilterRule, KnackRecord } from "./plan.ts";
import { isDailyQuota429, nextUtcMidnight, type Quota, readQuota } from "./quotaHeaders.ts";
import type { RateLimiter } from "./rateLimiter.ts";

/**
 * The Knack REST client (docs/design.md §3): one HTTP call per method, never retried here (a
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
	/** "quota": the daily plan quota is spent (or, for operator work, down to the reserve); retrying cannot help before `quota.resetAt` */
	reason: "http" | "timeout" | "network" | "deadline" | "quota";
	/** from Retry-After / X-RateLimit-Reset on a 429 */
	retryAfterMs: number | null;
	durationMs: number;
	quota?: { why: "exhausted" | "reserve"; resetAt: number | null };
};
export type KnackAnswer<T> = { ok: true; status: number; value: T; durationMs: number } | KnackFailure;

/** Whose call this is (it decides its place in the budget), and until when it may wait. */
export interface CallOptions {
	priority: Priority;
	deadline?: number;
}

export interface KnackPage {
	records: KnackRecord[];
	totalPages: number;
	totalRecords: number;
}

export interface KnackClient {
	create(
		app: string,
		objectKey: string,
		body: Record<string, unknown>,
		call: CallOptions,
	): Promise<KnackAnswer<KnackRecord>>;
	update(
		app: string,
		objectKey: string,
		recordId: string,
		body: Record<string, unknown>,
		call: CallOptions,
	): Promise<KnackAnswer<KnackRecord>>;
	get(app: string, objectKey: string, recordId: string, call: CallOptions): Promise<KnackAnswer<KnackRecord>>;
	find(app: string, objectKey: string, rules: FilterRule[], call: CallOptions): Promise<KnackAnswer<KnackRecord[]>>;
	/** One page of an object's records (1-based), at most 1,000 a page, narrowed by `rules` when given. */
	list(
		app: string,
		objectKey: string,
		page: { page: number; rowsPerPage: number; rules?: FilterRule[] },
		call: CallOptions,
	): Promise<KnackAnswer<KnackPage>>;
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
	/** the limit headers of every answer that had them, for the shared budget and metrics */
	onQuota?: (app: string, quota: Quota) => void;
}

export function createKnackClient(options: KnackClientOptions): KnackClient {
	const clock = options.clock ?? Date.now;

	async function call<T>(
		app: string,
		method: "GET" | "POST" | "PUT",
		objectKey: string,
		path: string,
		body: Record<string, unknown> | undefined,
		{ priority, deadline = Number.POSITIVE_INFINITY }: CallOptions,
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
		const admission = await options.limiter.acquire(app, { deadline, priority });
		if (!admission.ok) {
			if (admission.reason === "quota") {
				return failure({
					status: null,
					text: quotaText(app, admission.why, admission.resetAt, admission.remaining),
					reason: "quota",
					retryAfterMs: null,
					quota: { why: admission.why, resetAt: admission.resetAt },
				});
			}
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
			const quota = readQuota(response.headers, clock());
			if (quota) options.onQuota?.(app, quota);
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
			if (status === 429 && isDailyQuota429(quota, text)) {
				const resetAt = quota?.planResetAt ?? nextUtcMidnight(clock());
				// Knack said so without (or before) headers that show it: remember it, so no process keeps trying.
				if (quota?.planRemaining !== 0) {
					options.onQuota?.(app, { ...(quota ?? emptyQuota(clock())), planRemaining: 0, planResetAt: resetAt });
				}
				return failure({
					status,
					text: `${quotaText(app, "exhausted", resetAt, 0)} (Knack: ${text.slice(0, 200)})`,
					reason: "quota",
					retryAfterMs: null,
					quota: { why: "exhausted", resetAt },
				});
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
	const records = (json: unknown) => {
		const list = (json as { records?: unknown }).records;
		return Array.isArray(list) ? (list as KnackRecord[]) : [];
	};
	const filtersParam = (rules: FilterRule[]) =>
		`filters=${encodeURIComponent(JSON.stringify({ match: "and", rules }))}`;
	return {
		create: (app, objectKey, body, options) => call(app, "POST", objectKey, "", body, options, record),
		update: (app, objectKey, recordId, body, options) =>
			call(app, "PUT", objectKey, `/${encodeURIComponent(recordId)}`, body, options, record),
		get: (app, objectKey, recordId, options) =>
			call(app, "GET", objectKey, `/${encodeURIComponent(recordId)}`, undefined, options, record),
		find: (app, objectKey, rules, options) =>
			call(app, "GET", objectKey, `?${filtersParam(rules)}&rows_per_page=1000`, undefined, options, records),
		list: (app, objectKey, { page, rowsPerPage, rules }, options) => {
			const query = `?${rules ? `${filtersParam(rules)}&` : ""}rows_per_page=${rowsPerPage}&page=${page}`;
			return call(app, "GET", objectKey, query, undefined, options, (json) => {
				const answer = json as { total_pages?: unknown; total_records?: unknown };
				return {
					records: records(json),
					totalPages: typeof answer.total_pages === "number" ? answer.total_pages : 1,
					totalRecords: typeof answer.total_records === "number" ? answer.total_records : 0,
				};
			});
		},
	};
}

function emptyQuota(now: number): Quota {
	return {
		planLimit: null,
		planRemaining: null,
		planResetAt: null,
		rateLimit: null,
		rateRemaining: null,
		rateResetAt: null,
		seenAt: now,
	};
}

/** What a payment or an operator is told when the daily quota stops a call. */
export function quotaText(
	app: string,
	why: "exhausted" | "reserve",
	resetAt: number | null,
	remaining: number,
): string {
	const when = resetAt === null ? "at the end of Knack's plan day" : `at ${new Date(resetAt).toISOString()}`;
	return why === "reserve"
		? `the Knack daily quota of ${app} is down to its reserve (${remaining} calls left, kept for live payments); operator work stops until it resets ${when}`
		: `the Knack daily API quota of ${app} is exhausted; it resets ${when}`;
}

function retryAfter(headers: Headers, now: number): number | null {
	const after = headers.get("retry-after");
	if (after) {
		const seconds = Number(after);
		if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
		const date = Date.parse(after);
		if (Number.isFinite(date)) return Math.max(0, date - now);
	}
	// Knack's burst-limit reset is epoch seconds as reported, not as confirmed by Knack
	// (docs/design.md §3): anything implausible is ignored.
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
