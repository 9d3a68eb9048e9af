import { Elysia } from "elysia";
import { type DryRunStatus, dryRunReplay, runReplay } from "../../application/operator/replay.ts";
import type { StatusOutcome } from "../../application/operator/replayer.ts";
import {
	type Disagreement,
	deliveriesToFix,
	fixCalls,
	fixDisagreements,
	invoicesToVerify,
	verifyInvoices,
} from "../../application/operator/verify.ts";
import type { Session } from "../../console/session.ts";
import { retryConfirmView, retryResultView } from "../../console/views/repair.ts";
import { fixConfirmView, fixResultView, verifyView } from "../../console/views/verify.ts";
import type { ConsoleContext } from "./context.ts";
import { signedIn, signedInPost } from "./guard.ts";
import { field } from "./http.ts";
import { notFound, paymentOf } from "./pages.ts";

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

	return new Elysia({ name: "console-repairs" })
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

function selection(citybaseId: number) {
	return { kind: "payment", citybaseId } as const;
}

async function verify(c: ConsoleContext, session: Session, citybaseId: number) {
	const deps = c.operator(session);
	return verifyInvoices(deps, await invoicesToVerify(deps, { payment: citybaseId }));
}
