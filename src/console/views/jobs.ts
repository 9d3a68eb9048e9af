import type { ReplayCost } from "../../application/operator/replay.ts";
import type { RetryPlan } from "../../application/operator/retryAll.ts";
import type { EnvironmentName } from "../../config.ts";
import type { JobResult, OperatorJob } from "../../storage/storage.ts";
import { type Html, html } from "../html.ts";
import type { Session } from "../session.ts";
import { austinTime, counted, durationText, jobPath, paymentPath, timeCell } from "./format.ts";
import { csrfField, notice, scrolling } from "./layout.ts";

/**
 * Retry all shown: its confirmation (the payments, the Knack calls, the time they take at
 * the rate the shared budget leaves), and the job's page, which shows how far it got.
 */
export interface RetryAllConfirm {
	plan: RetryPlan;
	/** the filters and page the payments were shown under, in words ("" when none) */
	shown: string;
	/** where Cancel goes: the Stuck page as it was */
	back: string;
	session: Session;
	environment: EnvironmentName;
	/** the form's hidden fields: the payments, and the filters to record */
	fields: [string, string][];
}

export function retryAllConfirmView({ plan, shown, back, session, environment, fields }: RetryAllConfirm): Html {
	const n = plan.payments.length;
	const held = plan.payments.filter((p) => p.heldBy).length;
	return html`<h1 id="retry-all">Retry ${counted(n, "payment")}?</h1>
<p>These are the ${counted(n, "stuck payment")} shown (${shown}). Retrying them sends <strong>${counted(plan.calls, "call")}</strong> to the <strong>${environment}</strong> Knack, only what each payment still lacks.</p>
${plan.costs.length > 0 ? html`<ul class="plain">${plan.costs.map(costLine)}</ul>` : ""}
${held > 0 ? notice("info", `The service is applying ${counted(held, "of these payments", "of these payments")} right now; their retry waits for it.`) : ""}
<p>It runs on the server as operator work, behind live payments in the shared Knack budget: you may close this page, and come back to the retry's own page to see how far it got. It is recorded once, under your name, with every payment it covers.</p>
<form class="actions" method="post" action="/admin/stuck/retry">
${csrfField(session)}
<input type="hidden" name="confirm" value="yes">
${fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" class="button danger">Yes, retry ${counted(n, "payment")} in Knack</button>
<a class="button secondary" href="${back}">Cancel</a>
</form>
${scrolling(
	"payments-title",
	html`<table>
<thead><tr><th scope="col">Payment</th><th scope="col">App</th><th scope="col">Invoice</th><th scope="col">Knack calls</th></tr></thead>
<tbody>${plan.payments.map(
		(p) =>
			html`<tr><td><a href="${paymentPath(p.citybaseId)}">${p.citybaseId}</a></td><td>${p.app}</td><td class="nowrap">${p.invoice}</td><td>${p.calls === 0 ? "none: only to be marked complete" : p.calls}</td></tr>`,
	)}</tbody>
</table>`,
	`The ${counted(n, "payment")} it covers`,
)}`;
}

/** One app's share: its calls, how long at the rate left, and whether today's quota holds them. */
function costLine(c: ReplayCost): Html {
	const time =
		c.seconds === null
			? html`no estimate of the time: live payments (${c.liveRate.toFixed(1)} calls a second) leave no room in the budget now, so it waits for them`
			: html`about <strong>${durationText(c.seconds * 1000)}</strong> at ${counted(c.rate, "call")} a second, what the shared Knack budget leaves beside live payments`;
	const quota =
		c.available === null
			? "Today's quota left is unknown (Knack has not reported it yet)."
			: c.available >= c.calls
				? `It fits in today's quota: ${counted(c.available, "call")} left above the reserve kept for live payments.`
				: `It does not fit in today's quota: ${counted(c.available, "call")} left above the reserve kept for live payments. The retry stops there, and the payments it has not reached stay stuck until the quota resets${c.resetAt === null ? "" : ` (${austinTime(c.resetAt)})`}.`;
	return html`<li><strong>${c.app}</strong>: ${counted(c.calls, "call")}, ${time}. ${quota}</li>`;
}

const jobStates: Record<OperatorJob["state"], string> = {
	running: "Running",
	finished: "Finished",
	stopped: "Stopped",
};

const resultLabels: Record<JobResult["state"], { label: string; badge: string }> = {
	done: { label: "Complete", badge: "applied" },
	nothing: { label: "Nothing left to write", badge: "applied" },
	failed: { label: "Still stuck", badge: "dead-lettered" },
	quota: { label: "Not retried: quota", badge: "incomplete" },
};

export function jobView(job: OperatorJob): Html {
	const done = Object.keys(job.results).length;
	const tally = (state: JobResult["state"]) => Object.values(job.results).filter((r) => r.state === state).length;
	const failed = tally("failed");
	return html`<h1 id="job">Retry of ${counted(job.payments.length, "payment")}</h1>
${
	job.state === "running"
		? notice(
				"info",
				html`Running on the server: ${done} of ${job.payments.length} done. This page does not update by itself; <a href="${jobPath(job.id)}">reload it</a> to see how far it got.`,
			)
		: job.state === "stopped"
			? notice("error", job.note ?? "Stopped before the end.")
			: failed > 0
				? notice(
						"error",
						`Finished: ${counted(failed, "payment is", "payments are")} still stuck; each one's error is below.`,
					)
				: notice("success", "Finished: every payment it covers is complete in Knack.")
}
<dl class="summary">
<div><dt>Who</dt><dd>${job.who} (${job.by})</dd></div>
<div><dt>Started</dt><dd>${timeCell(job.createdAt)}</dd></div>
<div><dt>State</dt><dd>${jobStates[job.state]}${job.finishedAt ? html`, ${timeCell(job.finishedAt)}` : ""}</dd></div>
<div><dt>What</dt><dd>${job.what}</dd></div>
<div><dt>Done</dt><dd>${done} of ${job.payments.length}: ${tally("done")} completed, ${tally("nothing")} had nothing left to write, ${failed} still stuck</dd></div>
</dl>
${scrolling(
	"job-payments",
	html`<table>
<thead><tr><th scope="col">Payment</th><th scope="col">Result</th><th scope="col">What the retry did</th></tr></thead>
<tbody>${job.payments.map((id) => {
		const result = job.results[id];
		const shown = result ? resultLabels[result.state] : { label: "Waiting", badge: "rejected" };
		return html`<tr><td><a href="${paymentPath(id)}">${id}</a></td><td><span class="badge badge-${shown.badge}">${shown.label}</span></td><td class="${result?.state === "failed" ? "error-text long" : "long"}">${result?.text ?? "-"}</td></tr>`;
	})}</tbody>
</table>`,
	"Its payments, in the order they are retried",
)}
<p><a href="/admin/stuck">Back to the stuck payments</a></p>`;
}

/** Recent jobs, newest first, each a link to its page. */
export function jobsTable(jobs: OperatorJob[]): Html {
	return scrolling(
		"jobs",
		html`<table>
<thead><tr><th scope="col">Started</th><th scope="col">By</th><th scope="col">Payments</th><th scope="col">State</th></tr></thead>
<tbody>${jobs.map(
			(j) =>
				html`<tr><td><a href="${jobPath(j.id)}">${austinTime(j.createdAt)}</a></td><td>${j.who}</td><td>${Object.keys(j.results).length} of ${j.payments.length} done</td><td>${jobStates[j.state]}</td></tr>`,
		)}</tbody>
</table>`,
	);
}
