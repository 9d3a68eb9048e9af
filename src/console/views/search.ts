import { isUnfinished, latestPayment } from "../../application/operator/search.ts";
import type { PaymentTimeline } from "../../application/operator/timeline.ts";
import { type Html, html } from "../html.ts";
import { paymentPath, stateBadge, timeCell } from "./format.ts";
import { notice, scrolling } from "./layout.ts";

/** The search form, and what a search found when it found more than one payment (or none). */
export function searchView(query: string, found: PaymentTimeline[] | null): Html {
	return html`<h1>Find a payment</h1>
<form class="search" method="get" action="/admin" role="search">
<label for="q">CityBase payment id, invoice number or Knack record id</label>
<div class="row">
<input id="q" name="q" type="search" value="${query}" required>
<button type="submit" class="button">Search</button>
</div>
</form>
${found === null ? "" : results(query, found)}`;
}

function results(query: string, found: PaymentTimeline[]): Html {
	if (found.length === 0) {
		return notice("info", html`Nothing in the log matches <strong>${query}</strong>.`);
	}
	return html`<section aria-labelledby="results">
<h2 id="results">${found.length} payments match ${query}</h2>
${scrolling(
	"results",
	html`<table>
<thead><tr><th scope="col">Payment</th><th scope="col">App</th><th scope="col">Invoice</th><th scope="col">Latest status</th><th scope="col">Last delivery</th><th scope="col">Knack</th></tr></thead>
<tbody>${found.map((p) => {
		const latest = latestPayment(p);
		const last = p.statuses.at(-1)?.history.deliveries.at(-1);
		return html`<tr>
<td><a href="${paymentPath(p.citybaseId)}">${p.citybaseId}</a></td>
<td>${latest?.app ?? "?"}</td>
<td class="nowrap">${latest?.invoice ?? "?"}</td>
<td>${latest?.status ?? "?"}</td>
<td>${last ? timeCell(last.receivedAt) : ""}</td>
<td>${stateBadge(isUnfinished(p) ? "incomplete" : "applied")}</td>
</tr>`;
	})}</tbody>
</table>`,
)}
</section>`;
}
