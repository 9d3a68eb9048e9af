import { isUnfinished, latestPayment, type Match, type RecentPage } from "../../application/operator/search.ts";
import type { PaymentTimeline } from "../../application/operator/timeline.ts";
import type { PaymentRow } from "../../projections/paymentRow.ts";
import type { SearchField } from "../../storage/storage.ts";
import { type Html, html } from "../html.ts";
import { counted, paymentPath, stateBadge, timeCell } from "./format.ts";
import { notice, scrolling } from "./layout.ts";

/**
 * The search form; what a search found when it found more than one payment (or none);
 * and the recent payments, newest first, a page at a time.
 */
export interface Listed {
	citybaseId: number;
	app: string;
	invoice: string;
	status: string;
	receivedAt: number;
	state: "applied" | "incomplete" | "dead-lettered";
	/** what of it a search matched, when it was not its id or invoice */
	matched?: { field: SearchField; value: string };
}

export function listedRow(row: PaymentRow): Listed {
	return {
		citybaseId: row.citybaseId,
		app: row.app,
		invoice: row.invoice,
		status: row.latestStatus,
		receivedAt: row.receivedAt,
		state: row.stuckSince === null ? "applied" : row.trouble === "dead-lettered" ? "dead-lettered" : "incomplete",
	};
}

export function listedMatch(m: Match): Listed {
	const shownAlready = m.field === "payment" || m.field === "invoice";
	return { ...listedRow(m.row), ...(shownAlready ? {} : { matched: { field: m.field, value: m.matched } }) };
}

/** A payment found in the log itself (the read model has not folded it yet). */
export function listedTimeline(t: PaymentTimeline): Listed {
	const latest = latestPayment(t);
	return {
		citybaseId: t.citybaseId,
		app: latest?.app ?? "?",
		invoice: latest?.invoice ?? "?",
		status: latest?.status ?? "?",
		receivedAt: t.statuses.at(-1)?.history.deliveries.at(-1)?.receivedAt ?? 0,
		state: isUnfinished(t) ? "incomplete" : "applied",
	};
}

export function searchView(query: string): Html {
	return html`<h1>Find a payment</h1>
<form class="search" method="get" action="/admin" role="search">
<label for="q">CityBase payment id, invoice number or Knack record id</label>
<div class="row">
<input id="q" name="q" type="search" value="${query}" required aria-describedby="q-hint">
<button type="submit" class="button">Search</button>
</div>
<p class="hint" id="q-hint">Any case, and the start is enough: <code>inv2022</code> finds INV2022-100250.</p>
</form>`;
}

export function resultsView(query: string, found: Listed[], more: boolean): Html {
	if (found.length === 0) {
		return notice(
			"info",
			html`Nothing in the log matches <strong>${query}</strong>. A search matches the start of a CityBase payment id, an invoice number or a Knack record id, in any case. A payment received in the last second or two may not be found yet: try again in a moment.`,
		);
	}
	return html`<section aria-labelledby="results">
<h2 id="results">${more ? `The first ${counted(found.length, "payment")} that match` : `${counted(found.length, "payment")} match`} ${query}</h2>
${more ? html`<p class="hint">More payments match: type more of the id or invoice to narrow the list.</p>` : ""}
${paymentsTable("results", found)}
</section>`;
}

export function recentView(page: RecentPage): Html {
	const link = (param: "before" | "after", position: number, label: string, rel: string) =>
		html`<a class="button secondary" href="/admin?${param}=${position}#recent" rel="${rel}">${label}</a>`;
	return html`<section aria-labelledby="recent">
<h2 id="recent">Recent payments, newest first</h2>
${page.rows.length === 0 ? html`<p class="empty">No payment has been received yet.</p>` : paymentsTable("recent", page.rows.map(listedRow))}
${
	page.newer !== null || page.older !== null
		? html`<nav class="pager" aria-label="Pages of recent payments">
${page.newer !== null ? link("after", page.newer, "← Newer", "prev") : ""}
${page.older !== null ? link("before", page.older, "Older →", "next") : ""}
</nav>`
		: ""
}
</section>`;
}

const fieldLabels: Record<SearchField, string> = {
	payment: "payment id",
	invoice: "invoice",
	transaction: "transaction record",
	reservation: "reservation record",
	message: "message record",
	"refund record": "refund record",
};

function paymentsTable(labelledBy: string, rows: Listed[]): Html {
	return scrolling(
		labelledBy,
		html`<table>
<thead><tr><th scope="col">Payment</th><th scope="col">App</th><th scope="col">Invoice</th><th scope="col">Latest status</th><th scope="col">Last delivery</th><th scope="col">Knack</th></tr></thead>
<tbody>${rows.map(
			(p) => html`<tr>
<td><a href="${paymentPath(p.citybaseId)}">${p.citybaseId}</a>${p.matched ? html`<br><span class="note">its ${fieldLabels[p.matched.field]} <code>${p.matched.value}</code></span>` : ""}</td>
<td>${p.app}</td>
<td class="nowrap">${p.invoice}</td>
<td>${p.status}</td>
<td>${timeCell(p.receivedAt)}</td>
<td>${stateBadge(p.state)}</td>
</tr>`,
		)}</tbody>
</table>`,
	);
}
