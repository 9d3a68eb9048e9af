import {
	callTarget,
	describeEffect,
	type EffectDescription,
	failedStatus,
	failureText,
} from "../../application/operator/describeEvent.ts";
import { isUnfinished, latestPayment } from "../../application/operator/search.ts";
import type { PaymentTimeline } from "../../application/operator/timeline.ts";
import { EventTypes, isOutcome, type StoredEvent } from "../../events/types.ts";
import type { OperatorJob } from "../../storage/storage.ts";
import { type Html, html } from "../html.ts";
import { jobPath, paymentPath, stateBadge, timeCell } from "./format.ts";
import { scrolling } from "./layout.ts";

/** One payment's timeline, as `payments show` tells it: deliveries, Knack writes, repairs, what is unfinished. */
export function paymentView(payment: PaymentTimeline, jobs: OperatorJob[] = [], notices: Html | string = ""): Html {
	const latest = latestPayment(payment);
	const unfinished = isUnfinished(payment);
	return html`<h1>Payment ${payment.citybaseId}</h1>
${notices}
<dl class="summary">
<div><dt>App</dt><dd>${latest?.app ?? "?"}</dd></div>
<div><dt>Invoice</dt><dd>${latest?.invoice ?? "?"}</dd></div>
<div><dt>Latest status</dt><dd>${latest?.status ?? "?"}</dd></div>
<div><dt>Transaction record</dt><dd><code>${latest?.knackRecordId ?? "?"}</code></dd></div>
${latest?.parentRecordId ? html`<div><dt>${latest.bannerType ? `${latest.bannerType.toLowerCase()} reservation` : "reservation"} record</dt><dd><code>${latest.parentRecordId}</code></dd></div>` : ""}
<div><dt>In Knack</dt><dd>${stateBadge(unfinished ? "incomplete" : "applied")}</dd></div>
</dl>
<div class="actions">
<a class="button secondary" href="${paymentPath(payment.citybaseId, "verify")}">Verify against Knack</a>
${unfinished ? html`<a class="button" href="${paymentPath(payment.citybaseId, "retry")}">Retry…</a>` : ""}
</div>
${unfinishedSection(payment)}
${deliveriesSection(payment)}
${writesSection(payment.timeline)}
${repairsSection(payment, jobs)}`;
}

function unfinishedSection(payment: PaymentTimeline): Html {
	return html`<section aria-labelledby="unfinished">
<h2 id="unfinished">What is unfinished</h2>
<ul class="plain">${payment.statuses.map(({ history, assessment: a }) => {
		const open = history.deliveries.some((d) => !d.applied);
		if (a.unfinished.length === 0 && !open) {
			return html`<li><strong>${history.status}</strong>: nothing unfinished. Knack has every write.</li>`;
		}
		if (a.unfinished.length === 0) {
			return html`<li><strong>${history.status}</strong>: every write is in Knack; a delivery is still to be marked complete (a retry only records that).</li>`;
		}
		return html`<li><strong>${history.status}</strong>: still to write
<ul>${a.unfinished.map((e) => html`<li>${e.kind} <code>${callTarget(e.method, e.objectKey, e.recordId)}</code></li>`)}</ul>
${a.lastFailure ? html`<p class="error-text">Last error: ${failureText(a.lastFailure.data)}</p>` : ""}</li>`;
	})}</ul>
</section>`;
}

function deliveriesSection(payment: PaymentTimeline): Html {
	const deliveries = payment.statuses.flatMap(({ history }) => history.deliveries);
	deliveries.sort((a, b) => a.deliverySeq - b.deliverySeq);
	return html`<section aria-labelledby="deliveries">
<h2 id="deliveries">Deliveries from CityBase</h2>
${scrolling(
	"deliveries",
	html`<table>
<thead><tr><th scope="col">Delivery</th><th scope="col">Received</th><th scope="col">Status</th><th scope="col">Verdict</th><th scope="col">Knack</th></tr></thead>
<tbody>${deliveries.map(
		(d) => html`<tr>
<td>${d.deliverySeq}</td>
<td>${timeCell(d.receivedAt)}</td>
<td>${d.payment.status}</td>
<td>accepted</td>
<td>${stateBadge(d.applied ? "applied" : d.deadLettered ? "dead-lettered" : "incomplete")}${
			d.deadLettered && !d.applied ? html` <span class="note">${d.deadLettered.reason}</span>` : ""
		}</td>
</tr>`,
	)}</tbody>
</table>`,
)}
</section>`;
}

function writesSection(timeline: StoredEvent[]): Html {
	const writes = timeline.filter(isOutcome);
	return html`<section aria-labelledby="writes">
<h2 id="writes">Knack calls</h2>
${
	writes.length === 0
		? html`<p>No Knack call has been recorded for this payment.</p>`
		: scrolling(
				"writes",
				html`<table>
<thead><tr><th scope="col">Time</th><th scope="col">Delivery</th><th scope="col">Status</th><th scope="col">For</th><th scope="col">Call</th><th scope="col">Record</th><th scope="col">Result</th><th scope="col">Error</th></tr></thead>
<tbody>${writes.map((e) => {
					const effect = describeEffect(e);
					const note = effect.note ? ` (${effect.note})` : "";
					return html`<tr>
<td>${timeCell(e.recordedAt)}</td>
<td>${e.deliverySeq ?? ""}</td>
<td>${e.paymentStatus ?? ""}</td>
<td>${effect.kind}${effect.by ? html` <span class="note">by ${effect.by}</span>` : ""}</td>
<td><code>${effect.method} ${effect.objectKey}</code></td>
<td><code>${effect.recordId ?? "-"}</code></td>
<td>${resultCells[effect.state](effect, note)}</td>
<td class="error-text">${effect.state === "failed" ? `${effect.error}${note}` : ""}</td>
</tr>`;
				})}</tbody>
</table>`,
			)
}
</section>`;
}

/** A write's Result cell, by how it ended; `note` is the description's note in brackets, or "". */
const resultCells: Record<EffectDescription["state"], (effect: EffectDescription, note: string) => Html> = {
	written: (effect, note) => html`<span class="ok">${effect.knackStatus} written${note}</span>`,
	failed: (effect) => html`<span class="failed">${failedStatus(effect.knackStatus)}</span>`,
	doubted: (_, note) => html`<span class="note">in doubt${note}</span>`,
};

/**
 * Who repaired it by hand: its own repairs, in its events, and the retries of many payments
 * it was part of (each one action in the log, naming every payment it covers).
 */
function repairsSection(payment: PaymentTimeline, jobs: OperatorJob[]): Html {
	const repairs = payment.timeline
		.filter((e) => e.type === EventTypes.operatorAction)
		.map(({ recordedAt, data }) => ({
			at: recordedAt,
			who: data.who,
			by: data.by,
			what: html`${data.what}`,
			result: data.result,
		}));
	const retries = jobs.map((job) => ({
		at: job.createdAt,
		who: job.who,
		by: job.by,
		what: html`<a href="${jobPath(job.id)}">${job.what}</a>`,
		result: job.results[payment.citybaseId]?.text ?? (job.state === "running" ? "not reached yet" : "not retried"),
	}));
	const rows = [...repairs, ...retries].sort((a, b) => a.at - b.at);
	return html`<section aria-labelledby="repairs">
<h2 id="repairs">Repairs by people</h2>
${
	rows.length === 0
		? html`<p>No one has repaired this payment by hand.</p>`
		: scrolling(
				"repairs",
				html`<table>
<thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">From</th><th scope="col">What</th><th scope="col">Result</th></tr></thead>
<tbody>${rows.map((r) => html`<tr><td>${timeCell(r.at)}</td><td>${r.who}</td><td>${r.by}</td><td>${r.what}</td><td>${r.result}</td></tr>`)}</tbody>
</table>`,
			)
}
</section>`;
}
