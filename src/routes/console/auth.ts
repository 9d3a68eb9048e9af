import { Elysia } from "elysia";
import { operatorName } from "../../application/operator/audit.ts";
import { type LoginView, loginView } from "../../console/views/login.ts";
import { constantTimeEqual } from "../../constantTime.ts";
import { createFailureThrottle } from "../postbackAuth.ts";
import type { ConsoleContext } from "./context.ts";
import { failSafe, forged, signedInPost } from "./guard.ts";
import { adminPath, clearSessionCookie, field, redirect, sameOrigin, sessionIdOf, setSessionCookie } from "./http.ts";

/**
 * Sign-in and sign-out. The token is ADMIN_TOKEN; without one the console answers on
 * loopback only (see index.ts) and any token is taken, so only the name matters. The
 * name is required: every repair is recorded under it. A new session is made at every
 * sign-in, so an id planted before it is worth nothing. The form returns to the page
 * that sent the operator to it (`next`, checked by `adminPath`), and says so when the
 * browser's session has ended, rather than showing a bare form with no word of why.
 */
export function authRoutes(c: ConsoleContext) {
	const token = c.app.config.adminToken;
	const secure = c.app.config.environment !== "development";
	const throttle = createFailureThrottle();
	const form = (status: number, view: Omit<LoginView, "tokenRequired">, headers?: Record<string, string>) =>
		c.render("Sign in", null, loginView({ tokenRequired: token !== null, ...view }), { status, headers });

	return new Elysia({ name: "console-auth" })
		.get("/admin/login", ({ request, query }) =>
			failSafe(c, null, async () => {
				const next = adminPath(query.next) ?? undefined;
				const id = sessionIdOf(request);
				if (id === null || (await c.sessions.get(id))) return form(200, { next });
				// Said once: the dead cookie goes, so a reload shows the plain form.
				return form(200, { next, ended: true }, { "set-cookie": clearSessionCookie(secure) });
			}),
		)
		.post("/admin/login", async ({ request, body, server }) => {
			if (!sameOrigin(request)) return forged(c, null);
			const name = operatorName(field(body, "name") ?? "");
			const next = adminPath(field(body, "next"));
			const presented = field(body, "token") ?? "";
			const address = server?.requestIP(request)?.address ?? "unknown";
			if (token !== null && !constantTimeEqual(presented, token)) {
				await Bun.sleep(throttle.failed(address));
				const error = "That token is not right. Check it and try again.";
				return form(401, { error, name, next: next ?? undefined });
			}
			throttle.succeeded(address);
			if (!name) {
				const error = "Give your name: every repair you make is recorded under it.";
				return form(400, { error, next: next ?? undefined });
			}
			return failSafe(c, null, async () => {
				const previous = sessionIdOf(request);
				if (previous !== null) await c.sessions.delete(previous);
				const session = await c.sessions.create(name);
				const cookie = setSessionCookie(session, c.sessions.lifetimeMs, secure);
				return redirect(next ?? "/admin", { "set-cookie": cookie });
			});
		})
		.post(
			"/admin/logout",
			signedInPost(c, async (session) => {
				await c.sessions.delete(session.id);
				return redirect("/admin/login", { "set-cookie": clearSessionCookie(secure) });
			}),
		);
}
