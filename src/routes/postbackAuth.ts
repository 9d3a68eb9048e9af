import { constantTimeEqual } from "../constantTime.ts";

/**
 * Postback authentication (POSTBACK_TOKENS): a token may arrive in any of the ways a
 * payment provider's postback settings allow — `Authorization: Bearer <token>`, HTTP
 * Basic with the token as the password, or `?token=` in the URL. Several tokens may be
 * valid at once, so a secret can be rotated without downtime.
 */
export function presentedTokens(request: Request): string[] {
	const found: string[] = [];
	const authorization = request.headers.get("authorization") ?? "";
	const [scheme = "", credentials = ""] = authorization.split(/\s+/, 2);
	if (/^bearer$/i.test(scheme) && credentials) found.push(credentials);
	if (/^basic$/i.test(scheme) && credentials) {
		const decoded = Buffer.from(credentials, "base64").toString("utf8");
		const colon = decoded.indexOf(":");
		if (colon >= 0) found.push(decoded.slice(colon + 1));
	}
	const query = new URL(request.url).searchParams.get("token");
	if (query) found.push(query);
	return found;
}

/** Constant-time against every accepted token, so timing tells nothing about any of them. */
export function isAuthenticated(request: Request, tokens: readonly string[]): boolean {
	if (tokens.length === 0) return true;
	let ok = false;
	for (const presented of presentedTokens(request)) {
		for (const token of tokens) ok = constantTimeEqual(presented, token) || ok;
	}
	return ok;
}

/**
 * Slows down an address that keeps failing authentication: each failure within the
 * window adds to the delay of its next answer, up to a ceiling.
 */
export function createFailureThrottle(options: { windowMs?: number; stepMs?: number; maxDelayMs?: number } = {}) {
	const windowMs = options.windowMs ?? 60_000;
	const stepMs = options.stepMs ?? 250;
	const maxDelayMs = options.maxDelayMs ?? 5_000;
	const failures = new Map<string, { count: number; since: number }>();
	return {
		/** Records a failure and returns how long to wait before answering it. */
		failed(address: string, now = Date.now()): number {
			const entry = failures.get(address);
			const current = entry && now - entry.since < windowMs ? entry : { count: 0, since: now };
			current.count++;
			failures.set(address, current);
			if (failures.size > 10_000) failures.clear();
			return Math.min(maxDelayMs, (current.count - 1) * stepMs);
		},
		succeeded(address: string) {
			failures.delete(address);
		},
	};
}
