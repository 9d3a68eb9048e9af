/**
 * The emulated Knack REST API: authenticate, rate-limit, apply any injected fault, then
 * read or write the store. Every request is logged, rejected ones included.
 */
import type { CallLog, RecordedCall } from "./callLog.ts";
import { type Fault, type FaultQueue, faultAnswer } from "./faults.ts";
import { parseListQuery, QueryError, selectPage } from "./filters.ts";
import { formatRecord } from "./format.ts";
import { json, knackError } from "./http.ts";
import type { RateLimiter } from "./rateLimit.ts";
import { type RecordStore, WriteError } from "./records.ts";
import { matchRecordsRoute, type RecordsRoute } from "./routes.ts";

export interface ApiDeps {
	/** App id → REST API key. */
	keys: Map<string, string>;
	store: RecordStore;
	calls: CallLog;
	faults: FaultQueue;
	limiter: RateLimiter | undefined;
	latencyMs: number;
}

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
	const { keys, store, calls, faults, limiter, latencyMs } = deps;

	async function decide(
		req: Request,
		url: URL,
		route: RecordsRoute | undefined,
		call: RecordedCall,
		body: unknown,
	): Promise<Outcome> {
		if (route === undefined) return knackError(404, "Not found");
		const appId = call.appId;
		if (appId === null || keys.get(appId) !== req.headers.get("x-knack-rest-api-key")) {
			return knackError(401, "Invalid API key");
		}
		const limit = limiter?.admit(appId, call.at);
		if (limit && !limit.allowed) return knackError(429, "Rate limit exceeded", limit.headers);
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
		if (limit && outcome !== DROPPED) {
			for (const [name, value] of Object.entries(limit.headers)) outcome.headers.set(name, value);
		}
		return outcome;
	}

	return async (req, url) => {
		const route = matchRecordsRoute(url.pathname);
		const hasBody = req.method === "POST" || req.method === "PUT";
		const body = hasBody ? parseJson(await req.text()) : null;
		const call = calls.record({
			at: Date.now(),
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
