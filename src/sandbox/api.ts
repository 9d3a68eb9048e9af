/**
 * The emulated Knack REST API: authenticate, check the daily plan and the burst limit,
 * apply any injected fault, then read or write the store. Every request is logged,
 * rejected ones included, and every answer for a known app carries the six limit headers.
 */

import type { BurstLimit } from "./burstLimit.ts";
import type { CallLog, RecordedCall } from "./callLog.ts";
import { type Fault, type FaultQueue, faultAnswer } from "./faults.ts";
import { parseListQuery, QueryError, selectPage } from "./filters.ts";
import { formatRecord } from "./format.ts";
import { json, knackError } from "./http.ts";
import type { PlanQuota } from "./quota.ts";
import { type RecordStore, WriteError } from "./records.ts";
import { matchRecordsRoute, type RecordsRoute } from "./routes.ts";

export interface ApiDeps {
	/** App id → REST API key. */
	keys: Map<string, string>;
	store: RecordStore;
	calls: CallLog;
	faults: FaultQueue;
	burstLimit: BurstLimit;
	quota: PlanQuota;
	latencyMs: number;
	clock(): number;
}

export const DAILY_LIMIT_MESSAGE = "Daily API limit exceeded. The limit resets at midnight UTC.";

const DROPPED = Symbol("dropped");
type Outcome = Response | typeof DROPPED;

/**
 * Erroring the body before its first byte makes Bun reset the socket without sending
 * headers, so the client sees a network error (ECONNRESET) rather than an HTTP answer.
 * Erroring with no reason keeps Bun from printing a stack trace for it.
 */
function dropConnection(): Response {
	return new Response(
		new ReadableStream({
			start(controller) {
				controller.error();
			},
		}),
	);
}

function parseJson(text: string): unknown {
	if (text === "") return null;
	try {
		return JSON.parse(text);
	} catch {
		return null;
	}
}

interface ApiRequest {
	method: string;
	route: RecordsRoute;
	appId: string;
	contentType: string;
	query: URLSearchParams;
	body: unknown;
}

function writeFields(req: ApiRequest): Record<string, unknown> | Response {
	if (!req.contentType.toLowerCase().includes("application/json")) {
		return knackError(400, "Content-Type must be application/json");
	}
	if (typeof req.body !== "object" || req.body === null || Array.isArray(req.body)) {
		return knackError(400, "Request body must be a JSON object");
	}
	return req.body as Record<string, unknown>;
}

function perform(store: RecordStore, req: ApiRequest): Response {
	const { appId, method } = req;
	const { objectKey, recordId } = req.route;
	try {
		if (recordId === undefined) {
			if (method === "GET") {
				const page = selectPage(store.list(appId, objectKey), parseListQuery(req.query));
				return json({ ...page, records: page.records.map(formatRecord) });
			}
			if (method === "POST") {
				const fields = writeFields(req);
				return fields instanceof Response ? fields : json(formatRecord(store.create(appId, objectKey, fields)));
			}
		} else {
			if (method === "GET") {
				const record = store.get(appId, objectKey, recordId);
				return record ? json(formatRecord(record)) : knackError(404, "Record not found");
			}
			if (method === "PUT") {
				const fields = writeFields(req);
				if (fields instanceof Response) return fields;
				const record = store.update(appId, objectKey, recordId, fields);
				return record ? json(formatRecord(record)) : knackError(404, "Record not found");
			}
			if (method === "DELETE") {
				return store.delete(appId, objectKey, recordId) ? json({ delete: true }) : knackError(404, "Record not found");
			}
		}
		return knackError(404, "Not found");
	} catch (error) {
		if (error instanceof WriteError || error instanceof QueryError) return knackError(400, error.message);
		throw error;
	}
}

function setHeaders(response: Response, headers: Record<string, string>): void {
	for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
}

async function withFault(fault: Fault, signal: AbortSignal, performNow: () => Response): Promise<Outcome> {
	const applied = fault.applyBeforeFailing ? performNow() : undefined;
	if (fault.delayMs) await Bun.sleep(fault.delayMs);
	if (fault.drop) return DROPPED;
	if (fault.status !== undefined) return faultAnswer({ ...fault, status: fault.status });
	// A bare delay: like Knack, work on a request the client gave up on is not done.
	if (signal.aborted) return DROPPED;
	return applied ?? performNow();
}

export function createApiHandler(deps: ApiDeps): (req: Request, url: URL) => Promise<Response> {
	const { keys, store, calls, faults, burstLimit, quota, latencyMs, clock } = deps;

	const limitHeaders = (appId: string, now: number) => ({
		...quota.headers(appId, now),
		...burstLimit.headers(appId, now),
	});

	async function decide(
		req: Request,
		url: URL,
		route: RecordsRoute | undefined,
		call: RecordedCall,
		body: unknown,
	): Promise<Outcome> {
		const now = call.at;
		const appId = call.appId !== null && keys.has(call.appId) ? call.appId : undefined;
		if (appId === undefined || keys.get(appId) !== req.headers.get("x-knack-rest-api-key")) {
			const refused = route === undefined ? knackError(404, "Not found") : knackError(401, "Invalid API key");
			// A known app's count is shown but not spent: a wrong key is no call on its plan.
			if (appId !== undefined) setHeaders(refused, limitHeaders(appId, now));
			return refused;
		}
		// Knack does not document whether refused calls count; here neither kind of 429 is
		// spent from the plan, and a call refused for the day takes no burst slot either.
		if (quota.spent(appId, now)) return knackError(429, DAILY_LIMIT_MESSAGE, limitHeaders(appId, now));
		if (!burstLimit.admit(appId, now)) return knackError(429, "Rate limit exceeded", limitHeaders(appId, now));
		quota.charge(appId, now);
		const headers = limitHeaders(appId, now);
		if (route === undefined) return knackError(404, "Not found", headers);
		const request: ApiRequest = {
			method: req.method,
			route,
			appId,
			contentType: req.headers.get("content-type") ?? "",
			query: url.searchParams,
			body,
		};
		const fault = faults.take({ method: req.method, objectKey: route.objectKey, recordId: route.recordId });
		const outcome = fault ? await withFault(fault, req.signal, () => perform(store, request)) : perform(store, request);
		if (outcome !== DROPPED) setHeaders(outcome, headers);
		return outcome;
	}

	return async (req, url) => {
		const route = matchRecordsRoute(url.pathname);
		const hasBody = req.method === "POST" || req.method === "PUT";
		const body = hasBody ? parseJson(await req.text()) : null;
		const call = calls.record({
			at: clock(),
			method: req.method,
			path: url.pathname,
			objectKey: route?.objectKey ?? null,
			...(route?.recordId === undefined ? {} : { recordId: route.recordId }),
			query: Object.fromEntries(url.searchParams),
			appId: req.headers.get("x-knack-application-id"),
			body,
		});
		const outcome = await decide(req, url, route, call, body);
		if (latencyMs > 0) await Bun.sleep(latencyMs);
		if (outcome === DROPPED || req.signal.aborted) {
			call.status = 0;
			return dropConnection();
		}
		call.status = outcome.status;
		return outcome;
	};
}
