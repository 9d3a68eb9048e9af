import { type Static, Type as T } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { summary } from "../health/checks.ts";

/**
 * `GET /`: the Flask service's health answer (docs/design.md §9), whose `status` monitors already
 * read, with each check's state, reason and since when under `checks`. 503 only for
 * FAILING: a degraded service still records and applies postbacks. The answer is
 * computed from what the service has already seen, never by asking the store or Knack.
 */
const Check = T.Object(
	{
		state: T.Union([T.Literal("ok"), T.Literal("degraded"), T.Literal("failing")]),
		reason: T.String(),
		since: T.String({ format: "date-time", description: "ISO 8601 in UTC (the Z)" }),
	},
	{ additionalProperties: true, description: "the check's figures (free_bytes, pending, apps, ...) beside its state" },
);

export const HealthAnswer = T.Object({
	message: T.String(),
	status: T.Union([T.Literal("OK"), T.Literal("DEGRADED"), T.Literal("FAILING")]),
	environment: T.String(),
	timestamp: T.String({ format: "date-time", description: "ISO 8601 in UTC (the Z)" }),
	summary: T.String({ description: "the worst check's reason in one line, e.g. for an alert's subject" }),
	checks: T.Record(T.String(), Check),
});

const statusWord = { ok: "OK", degraded: "DEGRADED", failing: "FAILING" } as const;
const iso = (ms: number) => new Date(ms).toISOString();

export function healthRoutes(ctx: AppContext) {
	return new Elysia({ name: "health" }).get(
		"/",
		({ set }): Static<typeof HealthAnswer> => {
			const report = ctx.health.report();
			if (report.status === "failing") set.status = 503;
			const checks = Object.fromEntries(
				Object.entries(report.checks).map(([name, { state, reason, since, facts }]) => [
					name,
					{ state, reason, since: iso(since), ...facts },
				]),
			);
			return {
				message: "Austin Transportation Public Works Department Citybase healthcheck",
				status: statusWord[report.status],
				environment: ctx.config.environment,
				timestamp: iso(ctx.clock()),
				summary: summary(report.checks),
				checks,
			};
		},
		{
			detail: {
				summary: "Health: OK, DEGRADED or FAILING, and why",
				tags: ["operations"],
				responses: {
					200: {
						description: "OK or DEGRADED",
						content: { "application/json": { schema: HealthAnswer as unknown as Record<string, unknown> } },
					},
					503: {
						description: "FAILING: a check names what is wrong (docs/RUNBOOK.md §11)",
						content: { "application/json": { schema: HealthAnswer as unknown as Record<string, unknown> } },
					},
				},
			},
		},
	);
}
