import { Elysia } from "elysia";
import { operatorName } from "../../application/operator/audit.ts";
import { loginView } from "../../console/views/login.ts";
import { constantTimeEqual, createFailureThrottle } from "../postbackAuth.ts";
import type { ConsoleContext } from "./context.ts";
import { forged, signedInPost } from "./guard.ts";
import { clearSessionCookie, field, redirect, sameOrigin, sessionOf, setSessionCookie } from "./http.ts";

/**
 * Sign-in and sign-out. The token is ADMIN_TOKEN; without one the console answers on
 * loopback only (see index.ts) and any token is taken, so only the name matters. The
 * name is required: every repair is recorded under it. A new session is made at every
 * sign-in, so an id planted before it is worth nothing.
 */
export function authRoutes(c: ConsoleContext) {
	const token = c.app.config.adminToken;
	const secure = c.app.config.environment !== "development";
	const throttle = createFailureThrottle();
	const form = (status: number, error?: string, name?: string) =>
		c.render("Sign in", null, loginView({ tokenRequired: token !== null, error, name }), { status });

	return new Elysia({ name: "console-auth" })
		.get("/admin/login", () => form(200))
		.post("/admin/login", async ({ request, body, server }) => {
			if (!sameOrigin(request)) return forged(c, null);
			const name = operatorName(field(body, "name") ?? "");
			const presented = field(body, "token") ?? "";
			const address = server?.requestIP(request)?.address ?? "unknown";
			if (token !== null && !constantTimeEqual(presented, token)) {
				await Bun.sleep(throttle.failed(address));
				return form(401, "That token is not right. Check it and try again.", name);
			}
			throttle.succeeded(address);
			if (!name) return form(400, "Give your name: every repair you make is recorded under it.");
			const previous = sessionOf(request, c.sessions);
			if (previous) c.sessions.delete(previous.id);
			const session = c.sessions.create(name);
			return redirect("/admin", { "set-cookie": setSessionCookie(session, c.sessions.lifetimeMs, secure) });
		})
		.post(
			"/admin/logout",
			signedInPost(c, async (session) => {
				c.sessions.delete(session.id);
				return redirect("/admin/login", { "set-cookie": clearSessionCookie(secure) });
			}),
		);
}
