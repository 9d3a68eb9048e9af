import { Elysia } from "elysia";
import { type DryRunStatus, dryRunReplay, runReplay } from "../../application/operator/replay.ts";
import type { StatusOutcome } from "../../application/operator/replayer.ts";
import { planRetryAll } from "../../application/operator/retryAll.ts";
import { STUCK_PAGE_SIZE } from "../../application/operator/stuck.ts";
import {
	type Disagreement,
	deliveriesToFix,
	fixCalls,
	fixDisagreements,
	invoicesToVerify,
	verifyInvoices,
} from "../../application/operator/verify.ts";
import type { Session } from "../../console/session.ts";
import { counted, jobPath } from "../../console/views/format.ts";
import { retryAllConfirmView } from "../../console/views/jobs.ts";
import { retryConfirmView, retryResultView } from "../../console/views/repair.ts";
import { describeFilters, filterParams, stuckPath } from "../../console/views/stuck.ts";
import { fixConfirmView, fixResultView, verifyView } from "../../console/views/verify.ts";
import type { ConsoleContext } from "./context.ts";
import { signedIn, signedInPost } from "./guard.ts";
import { field, redirect } from "./http.ts";
import { notFound, pageNumberOf, paymentOf, stuckQuery } from "./pages.ts";

/**
 * Retry, Verify and Fix for one payment, each the CLI's own operator function. A
 * Knack write is made only by a POST that carries the session's CSRF token and
 * `confirm=yes`, which only the confirmation page's form sends; the operator
 * function records it in the log under the signed-in name.
 */
export function repairRoutes(c: ConsoleContext) {
	const environment = c.app.config.environment;
	const { fieldMap } = c.app.operator;

	const retryConfirm = async (session: Session, request: Request) => {
		const payment = await paymentOf(c, session, request);
		if (!payment) return notFound(c, session, request);
		const planned: DryRunStatus[] = [];
		await dryRunReplay(c.operator(session), selection(payment.citybaseId), {
			force: false,
			onStatus: (s) => {
				planned.push(s);
			},
		});
		return c.render(
			`Retry payment ${payment.citybaseId}`,
			session,
			retryConfirmView(payment.citybaseId, planned, session, environment, fieldMap),
		);
	};

	const fixConfirm = async (session: Session, request: Request) => {
		const payment = await paymentOf(c, session, request);
		if (!payment) return notFound(c, session, request);
		const verification = await verify(c, session, payment.citybaseId);
		const fixes = deliveriesToFix(verification.disagreements).map((writer) => ({
			writer,
			calls: fixCalls(writer, fieldMap),
		}));
		return c.render(
			`Fix payment ${payment.citybaseId}`,
			session,
			fixConfirmView(payment.citybaseId, verification, fixes, session, environment, fieldMap),
		);
	};

	/** The payments and the page they were shown on, from the Stuck page's form or the confirmation's. */
	const shownOf = (fields: URLSearchParams) => {
		const query = stuckQuery(fields);
		const pageNumber = pageNumberOf(fields);
		const filters = describeFilters(query);
		const back = filterParams(query);
		return {
			payments: paymentList(fields.get("payments")),
			shown: `page ${pageNumber} of the stuck payments${filters ? `, ${filters}` : ""}`,
			back: stuckPath(back),
			fields: [...back, ["page", String(pageNumber)]] as [string, string][],
		};
	};

	const retryAllConfirm = async (session: Session, fields: URLSearchParams) => {
		const shown = shownOf(fields);
		if (shown.payments.length === 0) return redirect(shown.back);
		const plan = await planRetryAll(c.operator(session), shown.payments);
		return c.render(
			`Retry ${counted(plan.payments.length, "payment")}`,
			session,
			retryAllConfirmView({
				plan,
				shown: shown.shown,
				back: shown.back,
				session,
				environment,
				fields: [["payments", plan.payments.map((p) => p.citybaseId).join(",")], ...shown.fields],
			}),
			{ current: "stuck" },
		);
	};

	return new Elysia({ name: "console-repairs" })
		.get(
			"/admin/stuck/retry",
			signedIn(c, (session, request) => retryAllConfirm(session, new URL(request.url).searchParams)),
		)
		.post(
			"/admin/stuck/retry",
			signedInPost(c, async (session, body) => {
				const fields = formFields(body);
				if (fields.get("confirm") !== "yes") return retryAllConfirm(session, fields);
				const shown = shownOf(fields);
				if (shown.payments.length === 0) return redirect(shown.back);
				const job = await c.app.jobs.startRetryAll(
					{ who: session.name, by: "console" },
					`Retry all shown: ${counted(shown.payments.length, "payment")}, ${shown.shown}`,
					shown.payments,
				);
				return redirect(jobPath(job.id));
			}),
		)
		.get("/admin/payments/:id/retry", signedIn(c, retryConfirm))
		.post(
			"/admin/payments/:id/retry",
			signedInPost(c, async (session, body, request) => {
				if (field(body, "confirm") !== "yes") return retryConfirm(session, request);
				const payment = await paymentOf(c, session, request);
				if (!payment) return notFound(c, session, request);
				const outcomes: { status: string; outcome: StatusOutcome }[] = [];
				await runReplay(c.operator(session), selection(payment.citybaseId), {
					force: false,
					restart: false,
					// The person confirmed on the page that sent this POST.
					confirm: async () => true,
					onStatus: (history, outcome) => {
						outcomes.push({ status: history.status, outcome });
					},
				});
				return c.render(
					`Retry of payment ${payment.citybaseId}`,
					session,
					retryResultView(payment.citybaseId, outcomes),
				);
			}),
		)
		.get(
			"/admin/payments/:id/verify",
			signedIn(c, async (session, request) => {
				const payment = await paymentOf(c, session, request);
				if (!payment) return notFound(c, session, request);
				const verification = await verify(c, session, payment.citybaseId);
				return c.render(
					`Verify payment ${payment.citybaseId}`,
					session,
					verifyView(payment.citybaseId, verification, fieldMap),
				);
			}),
		)
		.get("/admin/payments/:id/fix", signedIn(c, fixConfirm))
		.post(
			"/admin/payments/:id/fix",
			signedInPost(c, async (session, body, request) => {
				if (field(body, "confirm") !== "yes") return fixConfirm(session, request);
				const payment = await paymentOf(c, session, request);
				if (!payment) return notFound(c, session, request);
				// Read again: what is fixed is what Knack gets wrong now, not when the page was drawn.
				const verification = await verify(c, session, payment.citybaseId);
				const lines: string[] = [];
				let fixed = new Set<Disagreement>();
				if (verification.disagreements.length > 0) {
					fixed = await fixDisagreements(c.operator(session), verification.disagreements, {
						onFixed: (line) => lines.push(line),
					});
				}
				return c.render(
					`Fix of payment ${payment.citybaseId}`,
					session,
					fixResultView(payment.citybaseId, verification, fixed, lines, fieldMap),
				);
			}),
		);
}

/** A form's text fields, as URL parameters are read. */
function formFields(body: unknown): URLSearchParams {
	const fields = new URLSearchParams();
	for (const name of ["confirm", "payments", "app", "status", "why", "age", "page"]) {
		const value = field(body, name);
		if (value !== undefined) fields.set(name, value);
	}
	return fields;
}

/** The payment ids of a Retry all shown, at most a page's worth; anything that is not an id is left out. */
function paymentList(value: string | null): number[] {
	const ids = (value ?? "")
		.split(",")
		.filter((id) => /^\d{1,15}$/.test(id.trim()))
		.map(Number);
	return [...new Set(ids)].slice(0, STUCK_PAGE_SIZE);
}

function selection(citybaseId: number) {
	return { kind: "payment", citybaseId } as const;
}

async function verify(c: ConsoleContext, session: Session, citybaseId: number) {
	const deps = c.operator(session);
	return verifyInvoices(deps, await invoicesToVerify(deps, { payment: citybaseId }));
}
