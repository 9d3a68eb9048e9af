import { Elysia } from "elysia";
import { consoleCss, consoleJs } from "../../console/assets.ts";
import { createSessionStore } from "../../console/session.ts";
import type { AppContext } from "../../context.ts";
import { isLoopback } from "../admin.ts";
import { authRoutes } from "./auth.ts";
import { consoleContext } from "./context.ts";
import { asset } from "./http.ts";
import { pageRoutes } from "./pages.ts";
import { repairRoutes } from "./repairs.ts";

/**
 * The operator console under /admin: server-rendered pages over the operator
 * functions the CLI uses. Signed in with a session cookie, not the bearer token of
 * /metrics, since a browser cannot send one. With ADMIN_TOKEN unset it answers on
 * loopback only, as /metrics does.
 */
export function consoleRoutes(ctx: AppContext) {
	const c = consoleContext(ctx, createSessionStore({ store: ctx.operator.storage.sessions, clock: ctx.clock }));
	const tokenGuarded = ctx.config.adminToken !== null;
	return new Elysia({ name: "console" })
		.onRequest(({ request, server }) => {
			const path = new URL(request.url).pathname;
			if (tokenGuarded || (path !== "/admin" && !path.startsWith("/admin/"))) return;
			if (isLoopback(server?.requestIP(request)?.address)) return;
			return new Response("Forbidden: the console answers on loopback only while ADMIN_TOKEN is unset", {
				status: 403,
				headers: { "content-type": "text/plain; charset=utf-8" },
			});
		})
		.get("/admin/assets/console.css", () => asset(consoleCss, "text/css; charset=utf-8"))
		.get("/admin/assets/console.js", () => asset(consoleJs, "text/javascript; charset=utf-8"))
		.use(authRoutes(c))
		.use(repairRoutes(c))
		.use(pageRoutes(c));
}
