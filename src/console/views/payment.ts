import {
	callTarget,
	describeEffect,
	failedStatus,
	failureText,
	isEffect,
} from "../../application/operator/describeEvent.ts";
import { isUnfinished, latestPayment } from "../../application/operator/search.ts";
import type { PaymentTimeline } from "../../application/operator/timeline.ts";
import { EventTypes, type OperatorActionData, type StoredEvent } from "../../events/types.ts";
import { type Html, html } from "../html.ts";
import { paymentPath, stateBadge, timeCell } from "./format.ts";
import { scrolling } from "./layout.ts";

/** One payment's timeline, as `payments show` tells it: deliveries, Knack writes, repairs, what is unfinished. */
export function paymentView(payment: PaymentTimeline, notices: Html | string = ""): Html {
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
${repairsSection(payment.timeline)}`;
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
	const writes = timeline.filter(isEffect);
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
<td>${effect.written ? html`<span class="ok">${effect.knackStatus} written${note}</span>` : html`<span class="failed">${failedStatus(effect.knackStatus)}</span>`}</td>
<td class="error-text">${effect.written ? "" : `${effect.error}${note}`}</td>
</tr>`;
				})}</tbody>
</table>`,
			)
}
</section>`;
}

function repairsSection(timeline: StoredEvent[]): Html {
	const repairs = timeline.filter((e) => e.type === EventTypes.operatorAction);
	return html`<section aria-labelledby="repairs">
<h2 id="repairs">Repairs by people</h2>
${
	repairs.length === 0
		? html`<p>No one has repaired this payment by hand.</p>`
		: scrolling(
				"repairs",
				html`<table>
<thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">From</th><th scope="col">What</th><th scope="col">Result</th></tr></thead>
<tbody>${repairs.map((e) => {
					const data = e.data as OperatorActionData;
					return html`<tr><td>${timeCell(e.recordedAt)}</td><td>${data.who}</td><td>${data.by}</td><td>${data.what}</td><td>${data.result}</td></tr>`;
				})}</tbody>
</table>`,
			)
}
</section>`;
}
