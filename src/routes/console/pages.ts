import { Elysia } from "elysia";
import { recentActivity } from "../../application/operator/activity.ts";
import { searchPayments } from "../../application/operator/search.ts";
import { stuckDeliveries } from "../../application/operator/stuck.ts";
import { findPayments, type PaymentTimeline } from "../../application/operator/timeline.ts";
import { html } from "../../console/html.ts";
import { todayView } from "../../console/views/chart.ts";
import { paymentPath } from "../../console/views/format.ts";
import { paymentView } from "../../console/views/payment.ts";
import { searchView } from "../../console/views/search.ts";
import { stuckView } from "../../console/views/stuck.ts";
import { type ConsoleContext, waitingForKnack } from "./context.ts";
import { signedIn } from "./guard.ts";
import { redirect } from "./http.ts";

/** How many deliveries of each kind (incomplete, dead-lettered) the Stuck page reads. */
const STUCK_LIMIT = 500;

/** The pages that only read: search with today's figures, a payment's timeline, what is stuck. */
export function pageRoutes(c: ConsoleContext) {
	return new Elysia({ name: "console-pages" })
		.get(
			"/admin",
			signedIn(c, async (session, request) => {
				const deps = c.operator(session);
				const query = new URL(request.url).searchParams.get("q")?.trim() ?? "";
				const found = query === "" ? null : await searchPayments(deps, query);
				const only = found?.length === 1 ? found[0] : undefined;
				if (only) return redirect(paymentPath(only.citybaseId));
				const activity = await recentActivity(deps, c.app.clock());
				return c.render(
					query ? `Search: ${query}` : "Find a payment",
					session,
					html`${searchView(query, found)}${todayView(activity)}`,
					{
						current: "search",
						status: found?.length === 0 ? 404 : 200,
					},
				);
			}),
		)
		.get(
			"/admin/payments/:id",
			signedIn(c, async (session, request) => {
				const payment = await paymentOf(c, session, request);
				if (!payment) return notFound(c, session, request);
				return c.render(`Payment ${payment.citybaseId}`, session, paymentView(payment));
			}),
		)
		.get(
			"/admin/stuck",
			signedIn(c, async (session) => {
				const rows = await stuckDeliveries(c.operator(session), STUCK_LIMIT);
				return c.render(
					"Stuck payments",
					session,
					stuckView(rows, STUCK_LIMIT, waitingForKnack(c.app.health.report())),
					{
						current: "stuck",
					},
				);
			}),
		)
		.get(
			"/admin/*",
			signedIn(c, (session, request) => notFound(c, session, request)),
		);
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
