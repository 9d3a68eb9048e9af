import { callTarget, failureText } from "../../application/operator/describeEvent.ts";
import type { StuckDelivery } from "../../application/operator/stuck.ts";
import { truncate } from "../../application/operator/text.ts";
import { type Html, html } from "../html.ts";
import { effectKindLabels, paymentPath, stateBadge, timeCell } from "./format.ts";
import { notice, scrolling } from "./layout.ts";

/**
 * `pending` as a page: what Knack is still owed, oldest first, each with its last error
 * and a Retry. At most `limit` of each kind are read; a page that reached it says so, with
 * the whole count health last sampled, rather than pass the first ones off as all.
 */
export function stuckView(rows: StuckDelivery[], limit: number, waiting: number | null): Html {
	const incomplete = rows.filter((r) => !r.delivery.deadLettered).length;
	if (rows.length === 0) {
		return html`<h1>Stuck payments</h1>
<p class="empty">Nothing is stuck: every accepted delivery is complete in Knack.</p>`;
	}
	return html`<h1 id="stuck">Stuck payments</h1>
${
	incomplete >= limit
		? notice(
				"info",
				html`Only the oldest ${limit} are shown${waiting === null ? "" : html`, of ${waiting.toLocaleString("en-US")} deliveries waiting for Knack in all`}. <code>cli pending --limit N</code> lists more; <code>cli replay</code> finishes them (runbook, section 5).`,
			)
		: ""
}
<p>${incomplete >= limit ? `The oldest ${rows.length} deliveries not complete in Knack.` : `${rows.length} ${rows.length === 1 ? "delivery is" : "deliveries are"} not complete in Knack, oldest first.`} Retry sends what is missing, for that payment only, after you confirm.</p>
${scrolling(
	"stuck",
	html`<table>
<thead><tr><th scope="col">Received</th><th scope="col">Payment</th><th scope="col">Status</th><th scope="col">Invoice</th><th scope="col">State</th><th scope="col">Failed attempts</th><th scope="col">Still to write</th><th scope="col">Last error</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${rows.map(({ delivery, payment, assessment: a, attempts }) => {
		const error = a.lastFailure
			? `${callTarget(a.lastFailure.data.method, a.lastFailure.data.objectKey, a.lastFailure.data.recordId)} ${failureText(a.lastFailure.data)}`
			: (delivery.deadLettered?.reason ?? "-");
		return html`<tr>
<td>${timeCell(delivery.receivedAt)}</td>
<td><a href="${paymentPath(payment.citybaseId)}">${payment.citybaseId}</a></td>
<td>${payment.status}</td>
<td class="nowrap">${payment.invoice}</td>
<td>${stateBadge(delivery.deadLettered ? "dead-lettered" : "incomplete")}</td>
<td>${attempts}</td>
<td>${a.unfinished.length === 0 ? "nothing (to be marked complete)" : a.unfinished.map((e) => effectKindLabels[e.kind]).join(", ")}</td>
<td class="error-text long">${truncate(error, 200)}</td>
<td><a class="button" href="${paymentPath(payment.citybaseId, "retry")}" aria-label="Retry payment ${payment.citybaseId} ${payment.status}">Retry…</a></td>
</tr>`;
	})}</tbody>
</table>`,
)}`;
}
