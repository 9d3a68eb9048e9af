import { type Static, Type as T } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { summary } from "../health/checks.ts";

/**
 * Health, and readiness apart from it (docs/design.md §9; docs/RUNBOOK.md §11 and §14).
 *
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

export const ReadinessAnswer = T.Object({
	status: T.Union([T.Literal("READY"), T.Literal("NOT_READY")]),
	reason: T.String(),
});

export const LivenessAnswer = T.Object({ status: T.Literal("ALIVE") });

const json = (schema: unknown, description: string) => ({
	description,
	content: { "application/json": { schema: schema as Record<string, unknown> } },
});

const statusWord = { ok: "OK", degraded: "DEGRADED", failing: "FAILING" } as const;
const iso = (ms: number) => new Date(ms).toISOString();

export function healthRoutes(ctx: AppContext) {
	return new Elysia({ name: "health" })
		.get(
			"/readyz",
			({ set }): Static<typeof ReadinessAnswer> => {
				const { ready, reason } = ctx.health.readiness();
				set.status = ready ? 200 : 503;
				set.headers["cache-control"] = "no-store";
				return { status: ready ? "READY" : "NOT_READY", reason };
			},
			{
				detail: {
					summary: "Readiness: may this instance receive postbacks?",
					description:
						"For a load balancer or a container engine. 200 while this instance's event log accepts writes and it is not shutting down; 503 otherwise. Never about Knack or the backlog: a payment recorded now is applied to Knack later, so a Knack outage must not stop intake. Answered from memory, at the same small cost whatever the service is doing.",
					tags: ["operations"],
					responses: {
						200: json(ReadinessAnswer, "READY: send postbacks here"),
						503: json(ReadinessAnswer, "NOT_READY: the reason says why (the store's error, or shutting down)"),
					},
				},
			},
		)
		.get(
			"/livez",
			({ set }): Static<typeof LivenessAnswer> => {
				set.headers["cache-control"] = "no-store";
				return { status: "ALIVE" };
			},
			{
				detail: {
					summary: "Liveness: the process answers HTTP",
					description:
						"200 whenever the server answers at all, shutting down included; restart the process only when this fails.",
					tags: ["operations"],
					responses: { 200: json(LivenessAnswer, "ALIVE") },
				},
			},
		)
		.get(
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
						200: json(HealthAnswer, "OK or DEGRADED"),
						503: json(HealthAnswer, "FAILING: a check names what is wrong (docs/RUNBOOK.md §11)"),
					},
				},
			},
		);
}
