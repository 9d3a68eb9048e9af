import { Elysia } from "elysia";
import type { AppContext } from "./context.ts";
import { adminRoutes, apiDocs } from "./routes/admin.ts";
import { consoleRoutes } from "./routes/console/index.ts";
import { framing } from "./routes/framing.ts";
import { healthRoutes } from "./routes/health.ts";
import { postbackRoutes } from "./routes/postback.ts";

/** The HTTP app, built from injected dependencies (no module-level singletons). */
export function createApp(ctx: AppContext) {
	return new Elysia().use(framing(ctx.logger)).use(appRoutes(ctx));
}

/** Every route, behind nothing: `createApp` puts the framing in front of them. */
export function appRoutes(ctx: AppContext) {
	return new Elysia({ name: "routes" })
		.use(apiDocs())
		.use(adminRoutes(ctx))
		.use(consoleRoutes(ctx))
		.use(healthRoutes(ctx))
		.use(postbackRoutes(ctx));
}
