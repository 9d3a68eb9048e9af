/**
 * Control endpoints under /__sandbox/, for other processes (benchmarks, chaos tests) and
 * for a person checking what a postback changed. Sandbox only, so no authentication.
 */
import type { CallLog } from "./callLog.ts";
import { type Fault, FaultError, type FaultQueue } from "./faults.ts";
import { formatRecord } from "./format.ts";
import { json, knackError } from "./http.ts";
import { type PlanQuota, parseQuotaChange, parseQuotaReset, QuotaError } from "./quota.ts";
import { type RecordStore, WriteError } from "./records.ts";

export interface ControlDeps {
	store: RecordStore;
	calls: CallLog;
	faults: FaultQueue;
	quota: PlanQuota;
	clock(): number;
	reset(): void;
}

const RECORDS_PATH = /^\/__sandbox\/records\/([^/]+)\/([^/]+)\/?$/;

async function jsonBody(req: Request): Promise<unknown> {
	try {
		return await req.json();
	} catch {
		return undefined;
	}
}

export function createControlHandler(deps: ControlDeps): (req: Request, url: URL) => Promise<Response> {
	const { store, calls, faults, quota, clock } = deps;

	/** Applies a quota control request; answers every app's quota afterwards. */
	function quotaAnswer(apply: () => void): Response {
		try {
			apply();
		} catch (error) {
			if (error instanceof QuotaError) return knackError(400, error.message);
			throw error;
		}
		return json({ quota: quota.all(clock()) });
	}

	return async (req, url) => {
		const route = `${req.method} ${url.pathname.replace(/\/$/, "")}`;
		switch (route) {
			case "GET /__sandbox/calls":
				return json(calls.all());
			case "DELETE /__sandbox/calls":
				calls.clear();
				return json({ cleared: true });
			case "POST /__sandbox/faults":
				try {
					faults.push((await jsonBody(req)) as Fault);
				} catch (error) {
					if (error instanceof FaultError) return knackError(400, error.message);
					throw error;
				}
				return json({ queued: faults.size });
			case "DELETE /__sandbox/faults":
				faults.clear();
				return json({ cleared: true });
			case "POST /__sandbox/reset":
				deps.reset();
				return json({ reset: true });
			case "POST /__sandbox/quota": {
				const body = await jsonBody(req);
				return quotaAnswer(() => quota.change(parseQuotaChange(body), clock()));
			}
			case "POST /__sandbox/quota/reset": {
				const body = await jsonBody(req);
				return quotaAnswer(() => quota.resetDay(parseQuotaReset(body), clock()));
			}
			case "GET /__sandbox/stats":
				return json({ ...calls.stats(), faultsQueued: faults.size, quota: quota.all(clock()) });
		}
		const match = RECORDS_PATH.exec(url.pathname);
		if (match === null) return knackError(404, "Not found");
		const appId = decodeURIComponent(match[1] as string);
		const objectKey = decodeURIComponent(match[2] as string);
		if (!store.hasApp(appId)) return knackError(404, `Unknown app id ${appId}`);
		if (req.method === "GET") return json(store.list(appId, objectKey).map(formatRecord));
		if (req.method === "POST") {
			const body = await jsonBody(req);
			if (typeof body !== "object" || body === null || Array.isArray(body)) {
				return knackError(400, "Request body must be a JSON object");
			}
			const record = body as Record<string, unknown>;
			if (record.id !== undefined && typeof record.id !== "string") return knackError(400, "id must be a string");
			try {
				return json(formatRecord(store.put(appId, objectKey, record as { id?: string })));
			} catch (error) {
				if (error instanceof WriteError) return knackError(400, error.message);
				throw error;
			}
		}
		return knackError(404, "Not found");
	};
}
