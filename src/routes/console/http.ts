import type { Html } from "../../console/html.ts";
import type { Session, SessionStore } from "../../console/session.ts";

/**
 * What every console answer shares: HTML that may not be framed, cached or fed inline
 * code, the session cookie, and the checks a POST must pass.
 */
export const sessionCookie = "citybase_console";

const securityHeaders = {
	"content-security-policy":
		"default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"x-content-type-options": "nosniff",
	"x-frame-options": "DENY",
	"referrer-policy": "same-origin",
	"cache-control": "no-store",
};

export function htmlResponse(body: Html, status = 200, headers: Record<string, string> = {}): Response {
	return new Response(body.text, {
		status,
		headers: { "content-type": "text/html; charset=utf-8", ...securityHeaders, ...headers },
	});
}

/** 303: the browser follows with a GET, so a reload never sends a form twice. */
export function redirect(location: string, headers: Record<string, string> = {}): Response {
	return new Response(null, { status: 303, headers: { location, ...securityHeaders, ...headers } });
}

export function asset(text: string, contentType: string): Response {
	return new Response(text, {
		headers: { "content-type": contentType, "x-content-type-options": "nosniff", "cache-control": "max-age=300" },
	});
}

/** HttpOnly and SameSite=Strict always; Secure wherever the console is served over HTTPS (outside development). */
export function setSessionCookie(session: Session, maxAgeMs: number, secure: boolean): string {
	return `${sessionCookie}=${session.id}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure ? "; Secure" : ""}`;
}

export function clearSessionCookie(secure: boolean): string {
	return `${sessionCookie}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}

/** The session id the browser presented, live or not; null when it sent none. */
export function sessionIdOf(request: Request): string | null {
	for (const part of (request.headers.get("cookie") ?? "").split(";")) {
		const [name, ...value] = part.trim().split("=");
		if (name === sessionCookie) return value.join("=");
	}
	return null;
}

export async function sessionOf(request: Request, sessions: SessionStore): Promise<Session | null> {
	const id = sessionIdOf(request);
	return id === null ? null : sessions.get(id);
}

/** Stands in for the console's own origin when reading a path: only a path on it is taken. */
const local = "http://console.invalid";

/**
 * A page of the console to return to after sign-in, or null. Only a local path under
 * /admin is taken, as the URL parser reads it (so `//host`, `/\host`, `/admin/../x`
 * and absolute URLs are refused): anything else would make sign-in an open redirect.
 */
export function adminPath(value: unknown): string | null {
	if (typeof value !== "string" || !value.startsWith("/")) return null;
	let url: URL;
	try {
		url = new URL(value, local);
	} catch {
		return null;
	}
	if (url.origin !== local || (url.pathname !== "/admin" && !url.pathname.startsWith("/admin/"))) return null;
	return url.pathname + url.search;
}

/** The page a request asked for (its path and query), whether its URL is absolute or not. */
export function pageOf(request: Request): string {
	const url = new URL(request.url, local);
	return url.pathname + url.search;
}

/** The sign-in form, set to return to `next` when that is a console page other than the front one. */
export function signInPath(next: string | null): string {
	return next === null || next === "/admin" ? "/admin/login" : `/admin/login?next=${encodeURIComponent(next)}`;
}

/**
 * A browser names the page a POST came from; one from another site is refused even
 * before its CSRF token is looked at. Hosts are compared, not schemes, since TLS may
 * end at a proxy in front of the service.
 */
export function sameOrigin(request: Request): boolean {
	if (request.headers.get("sec-fetch-site") === "cross-site") return false;
	const origin = request.headers.get("origin");
	if (origin === null) return true;
	try {
		return new URL(origin).host === (request.headers.get("host") ?? new URL(request.url).host);
	} catch {
		return false;
	}
}

/** A form field as text; anything else (absent, a file, repeated) is treated as missing. */
export function field(body: unknown, name: string): string | undefined {
	if (!body || typeof body !== "object") return undefined;
	const value = (body as Record<string, unknown>)[name];
	return typeof value === "string" ? value : undefined;
}
