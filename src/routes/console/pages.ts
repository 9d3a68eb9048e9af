import { Elysia } from "elysia";
import { recentActivity } from "../../application/operator/activity.ts";
import { recentPayments, searchMatches } from "../../application/operator/search.ts";
import {
	parseCursor,
	type StuckAge,
	type StuckQuery,
	stuckAges,
	stuckPayments,
} from "../../application/operator/stuck.ts";
import { findPayments, type PaymentTimeline } from "../../application/operator/timeline.ts";
import { html } from "../../console/html.ts";
import { todayView } from "../../console/views/chart.ts";
import { paymentPath, troubleLabels } from "../../console/views/format.ts";
import { jobView } from "../../console/views/jobs.ts";
import { paymentView } from "../../console/views/payment.ts";
import { listedMatch, listedTimeline, recentView, resultsView, searchView } from "../../console/views/search.ts";
import { stuckView } from "../../console/views/stuck.ts";
import type { Trouble } from "../../projections/paymentRow.ts";
import type { ConsoleContext } from "./context.ts";
import { signedIn } from "./guard.ts";
import { redirect } from "./http.ts";

/** How many recent retries of many payments the Stuck page lists. */
const JOBS_SHOWN = 5;

/** The pages that only read: search with recent payments and today's figures, a payment's timeline, what is stuck, a retry's progress. */
export function pageRoutes(c: ConsoleContext) {
	return new Elysia({ name: "console-pages" })
		.get(
			"/admin",
			signedIn(c, async (session, request) => {
				const deps = c.operator(session);
				const params = new URL(request.url).searchParams;
				const query = params.get("q")?.trim() ?? "";
				await c.fresh();
				if (query === "") {
					const [recent, activity] = await Promise.all([
						recentPayments(deps, {
							before: positionParam(params.get("before")),
							after: positionParam(params.get("after")),
						}),
						recentActivity(deps, c.app.clock()),
					]);
					return c.render(
						"Find a payment",
						session,
						html`${searchView("")}${todayView(activity)}${recentView(recent)}`,
						{
							current: "search",
						},
					);
				}
				const { matches, more } = await searchMatches(deps, query);
				const exact = matches.filter((m) => m.exact);
				const only = exact.length === 1 ? exact[0] : matches.length === 1 ? matches[0] : undefined;
				if (only) return redirect(paymentPath(only.row.citybaseId));
				// The read model trails the log by a moment: a payment just received is looked up in the log itself.
				const inLog = matches.length === 0 ? await findPayments(deps, query) : [];
				if (inLog.length === 1) return redirect(paymentPath((inLog[0] as PaymentTimeline).citybaseId));
				const listed = matches.length > 0 ? matches.map(listedMatch) : inLog.map(listedTimeline);
				return c.render(`Search: ${query}`, session, html`${searchView(query)}${resultsView(query, listed, more)}`, {
					current: "search",
					status: listed.length === 0 ? 404 : 200,
				});
			}),
		)
		.get(
			"/admin/payments/:id",
			signedIn(c, async (session, request) => {
				const payment = await paymentOf(c, session, request);
				if (!payment) return notFound(c, session, request);
				const jobs = await c.operator(session).storage.jobs.covering(payment.citybaseId);
				return c.render(`Payment ${payment.citybaseId}`, session, paymentView(payment, jobs));
			}),
		)
		.get(
			"/admin/stuck",
			signedIn(c, async (session, request) => {
				const deps = c.operator(session);
				const params = new URL(request.url).searchParams;
				const query = stuckQuery(params);
				await c.fresh();
				const now = c.app.clock();
				const [page, jobs] = await Promise.all([stuckPayments(deps, query, now), deps.storage.jobs.recent(JOBS_SHOWN)]);
				const pageNumber = pageNumberOf(params);
				return c.render("Stuck payments", session, stuckView({ page, query, pageNumber, now, jobs }), {
					current: "stuck",
				});
			}),
		)
		.get(
			"/admin/jobs/:id",
			signedIn(c, async (session, request) => {
				const id = /^\/admin\/jobs\/([\w-]{1,64})$/.exec(new URL(request.url).pathname)?.[1];
				const job = id === undefined ? null : await c.operator(session).storage.jobs.get(id);
				if (!job) return notFound(c, session, request);
				return c.render(`Retry of ${job.payments.length} payments`, session, jobView(job), { current: "stuck" });
			}),
		)
		.get(
			"/admin/*",
			signedIn(c, (session, request) => notFound(c, session, request)),
		);
}

/** The Stuck page's filters and place in the list, from its URL; anything unknown is ignored. */
export function stuckQuery(params: URLSearchParams): StuckQuery {
	const text = (name: string) => {
		const value = params.get(name)?.trim();
		return value ? value.slice(0, 200) : undefined;
	};
	const why = text("why");
	const age = text("age");
	return {
		app: text("app"),
		status: text("status"),
		trouble: why !== undefined && why in troubleLabels ? (why as Trouble) : undefined,
		olderThan: age !== undefined && age in stuckAges ? (age as StuckAge) : undefined,
		after: parseCursor(params.get("after") ?? ""),
		before: parseCursor(params.get("before") ?? ""),
	};
}

/** The Stuck page's number as the operator moved through the list, from its URL or form (1 when absent or nonsense). */
export function pageNumberOf(params: URLSearchParams): number {
	return Math.max(1, Math.min(1_000_000, Number(params.get("page")) || 1));
}

/** A log position from a URL, or undefined. */
function positionParam(value: string | null): number | undefined {
	return value && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** The payment named by the path's `:id`, or null when it is not a payment in the log. */
export async function paymentOf(
	c: ConsoleContext,
	session: Parameters<ConsoleContext["operator"]>[0],
	request: Request,
): Promise<PaymentTimeline | null> {
	const id = /^\/admin\/payments\/(\d{1,15})(?:\/|$)/.exec(new URL(request.url).pathname)?.[1];
	if (id === undefined) return null;
	const found = await findPayments(c.operator(session), id);
	return found.find((p) => p.citybaseId === Number(id)) ?? null;
}

export function notFound(c: ConsoleContext, session: Parameters<ConsoleContext["operator"]>[0], request: Request) {
	const path = new URL(request.url).pathname;
	return c.render(
		"Not found",
		session,
		html`<h1>Not found</h1><p>There is no page or payment at <code>${path}</code>. <a href="/admin">Find a payment</a>.</p>`,
		{ status: 404 },
	);
}
