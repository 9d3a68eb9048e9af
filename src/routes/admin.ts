import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { constantTimeEqual } from "../constantTime.ts";
import type { AppContext } from "../context.ts";

/**
 * Operator endpoints: metrics and the API documentation. With ADMIN_TOKEN set they
 * need `Authorization: Bearer <ADMIN_TOKEN>`; without it they answer on loopback only,
 * so a fresh deployment never exposes them by accident.
 */
export function adminRoutes(ctx: AppContext) {
	const token = ctx.config.adminToken;
	return (
		new Elysia({ name: "admin" })
			// Before routing, so the documentation plugin's routes are guarded too.
			.onRequest(({ request, server }) => {
				if (!isOperatorPath(new URL(request.url).pathname)) return;
				const allowed = token
					? bearerMatches(request.headers.get("authorization"), token)
					: isLoopback(server?.requestIP(request)?.address);
				if (allowed) return;
				return new Response(
					token
						? "Unauthorized: operator endpoints need Authorization: Bearer <ADMIN_TOKEN>"
						: "Forbidden: operator endpoints answer on loopback only while ADMIN_TOKEN is unset",
					{
						status: token ? 401 : 403,
						headers: {
							"content-type": "text/plain; charset=utf-8",
							...(token ? { "www-authenticate": "Bearer" } : {}),
						},
					},
				);
			})
			.get(
				"/metrics",
				async () =>
					new Response(await ctx.metrics.registry.metrics(), {
						headers: { "content-type": ctx.metrics.registry.contentType },
					}),
				{ detail: { summary: "Prometheus metrics", tags: ["operations"] } },
			)
	);
}

/** The OpenAPI description at /docs (page) and /docs/json; used on the root app, so it sees every route. */
export function apiDocs() {
	return openapi({
		path: "/docs",
		documentation: {
			info: {
				title: "atd-citybase",
				version: "1",
				description:
					"Receives CityBase payment postbacks, records each in an append-only event log, and applies it to the City of Austin's Knack apps exactly once.",
			},
		},
	});
}

const isOperatorPath = (path: string) => path === "/metrics" || path === "/docs" || path.startsWith("/docs/");

export function isLoopback(address: string | undefined): boolean {
	if (!address) return false;
	return address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.");
}

function bearerMatches(header: string | null, token: string): boolean {
	const match = header?.match(/^Bearer\s+(.+)$/i);
	return match?.[1] !== undefined && constantTimeEqual(match[1], token);
}
