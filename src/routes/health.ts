import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";

/** `GET /`: the Flask service's health answer (SPEC §9), plus whether the event store answers. */
export function healthRoutes(ctx: AppContext) {
	return new Elysia({ name: "health" }).get("/", async ({ set }) => {
		let database = "ok";
		try {
			await ctx.store.lastSeq();
		} catch (error) {
			database = `unavailable: ${(error as Error).message}`;
			set.status = 503;
		}
		return {
			message: "Austin Transportation Public Works Department Citybase healthcheck",
			status: database === "ok" ? "OK" : "DEGRADED",
			environment: ctx.config.environment,
			timestamp: new Date(ctx.clock()).toISOString(),
			checks: { database },
		};
	});
}
