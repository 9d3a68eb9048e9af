import { callTarget, knackWords } from "../../application/operator/describeEvent.ts";
import {
	cursorText,
	STUCK_PAGE_SIZE,
	type StuckAge,
	type StuckPage,
	type StuckQuery,
	stuckAges,
} from "../../application/operator/stuck.ts";
import { truncate } from "../../application/operator/text.ts";
import type { PaymentRow, Trouble } from "../../projections/paymentRow.ts";
import type { OperatorJob, StuckCursor } from "../../storage/storage.ts";
import { type Html, html } from "../html.ts";
import { counted, durationText, effectKindLabels, jobPath, paymentPath, timeCell, troubleLabels } from "./format.ts";
import { jobsTable } from "./jobs.ts";
import { notice, scrolling } from "./layout.ts";

/**
 * What Knack is still owed, one row per payment (its deliveries folded together, so a
 * payment CityBase sent twice is one row with one Retry), oldest first, a page of 50 at
 * a time, with the true count and filters; and Retry all shown for the page's payments.
 */
export interface StuckView {
	page: StuckPage;
	query: StuckQuery;
	/** the page's number as the operator moved through the list (from the first page) */
	pageNumber: number;
	now: number;
	jobs: OperatorJob[];
}

const ageLabels: Record<StuckAge, string> = { "1h": "over an hour", "1d": "over a day", "7d": "over a week" };

/** The query's filters (not its place in the list) as URL parameters. */
export function filterParams(query: StuckQuery): URLSearchParams {
	const params = new URLSearchParams();
	if (query.app) params.set("app", query.app);
	if (query.status) params.set("status", query.status);
	if (query.trouble) params.set("why", query.trouble);
	if (query.olderThan) params.set("age", query.olderThan);
	return params;
}

/** The filters in words, for a heading, a confirmation and the audit: "Street Banner · refunded · over a day". */
export function describeFilters(query: StuckQuery): string {
	return [
		query.app,
		query.status,
		query.trouble && troubleLabels[query.trouble],
		query.olderThan && `stuck ${ageLabels[query.olderThan]}`,
	]
		.filter(Boolean)
		.join(" · ");
}

export const stuckPath = (params: URLSearchParams) => `/admin/stuck${params.size > 0 ? `?${params}` : ""}`;

export function stuckView({ page, query, pageNumber, now, jobs }: StuckView): Html {
	const filtered = describeFilters(query) !== "";
	const running = jobs.filter((j) => j.state === "running");
	return html`<h1 id="stuck">Stuck payments</h1>
${
	page.behind > 1000
		? notice(
				"info",
				`The console is still reading the log (${counted(page.behind, "event")} to go), so these figures are a little behind. Reload in a moment.`,
			)
		: ""
}
${running.map((j) =>
	notice(
		"info",
		html`A retry of ${counted(j.payments.length, "payment")}, started by ${j.who}, is running: ${Object.keys(j.results).length} done so far. <a href="${jobPath(j.id)}">See its progress</a>.`,
	),
)}
<p class="lead">${
		page.total === 0
			? "Nothing is stuck: every payment is complete in Knack."
			: html`<strong>${counted(page.total, "payment")}</strong> ${page.total === 1 ? "is" : "are"} not complete in Knack.${
					filtered
						? html` <strong>${page.matching.atLeast ? "At least " : ""}${counted(page.matching.n, "payment")}</strong> ${page.matching.n === 1 && !page.matching.atLeast ? "matches" : "match"} the filters.`
						: ""
				}`
	}</p>
${page.total > 0 || filtered ? filters(page, query) : ""}
${page.rows.length > 0 ? list(page, query, pageNumber, now) : page.total > 0 ? html`<p class="empty">No stuck payment matches these filters. <a href="/admin/stuck">Show all of them</a>.</p>` : ""}
${jobs.length > 0 ? html`<section aria-labelledby="jobs"><h2 id="jobs">Recent retries of many payments</h2>${jobsTable(jobs)}</section>` : ""}`;
}

function filters(page: StuckPage, query: StuckQuery): Html {
	const present = <T extends string>(values: T[], chosen: T | undefined) =>
		[...new Set([...values, ...(chosen ? [chosen] : [])])].sort();
	const apps = present(
		page.counts.map((c) => c.app),
		query.app,
	);
	const statuses = present(
		page.counts.map((c) => c.status),
		query.status,
	);
	const troubles = (Object.keys(troubleLabels) as Trouble[]).filter(
		(t) => t === query.trouble || page.counts.some((c) => c.trouble === t),
	);
	const option = (value: string, label: string, chosen: string | undefined) =>
		html`<option value="${value}"${value === (chosen ?? "") ? html` selected` : ""}>${label}</option>`;
	const select = (id: string, label: string, all: string, options: Html[]) =>
		html`<div class="field"><label for="${id}">${label}</label><select id="${id}" name="${id}">${all ? html`<option value="">${all}</option>` : ""}${options}</select></div>`;
	return html`<form class="filters" method="get" action="/admin/stuck" aria-label="Filter the stuck payments">
${select(
	"app",
	"App",
	"Every app",
	apps.map((a) => option(a, a, query.app)),
)}
${select(
	"status",
	"CityBase status",
	"Every status",
	statuses.map((s) => option(s, s, query.status)),
)}
${select(
	"why",
	"Why it is stuck",
	"Every reason",
	troubles.map((t) => option(t, troubleLabels[t], query.trouble)),
)}
${select(
	"age",
	"Stuck for",
	"Any time",
	(Object.keys(stuckAges) as StuckAge[]).map((a) => option(a, ageLabels[a], query.olderThan)),
)}
<div class="filter-actions"><button type="submit" class="button">Show</button> <a href="/admin/stuck">Clear the filters</a></div>
</form>`;
}

function list(page: StuckPage, query: StuckQuery, pageNumber: number, now: number): Html {
	const { rows } = page;
	const pages = Math.max(1, Math.ceil(page.matching.n / STUCK_PAGE_SIZE));
	const from = (pageNumber - 1) * STUCK_PAGE_SIZE + 1;
	return html`<section aria-labelledby="list">
<h2 id="list">${pages > 1 || pageNumber > 1 ? `Page ${pageNumber} of ${page.matching.atLeast ? "at least " : ""}${pages}: ` : ""}payments ${from.toLocaleString("en-US")}–${(from + rows.length - 1).toLocaleString("en-US")}, oldest first</h2>
${scrolling(
	"list",
	html`<table class="stuck">
<thead><tr><th scope="col">Stuck since</th><th scope="col">Payment and invoice</th><th scope="col">App and status</th><th scope="col">Why</th><th scope="col">Last error</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${rows.map((row) => stuckRow(row, now))}</tbody>
</table>`,
)}
${pager(page, query, pageNumber)}
${retryAllForm(rows, query, pageNumber)}
</section>`;
}

function stuckRow(row: PaymentRow, now: number): Html {
	const since = row.stuckSince ?? now;
	const waiting = row.open.length;
	const error = row.lastError;
	return html`<tr>
<td>${timeCell(since)}<br><span class="note">${durationText(now - since)} ago</span></td>
<td><a href="${paymentPath(row.citybaseId)}">${row.citybaseId}</a><br><span class="nowrap">${row.invoice}</span>${waiting > 1 ? html`<br><span class="note">sent ${waiting} times</span>` : ""}</td>
<td>${row.app}<br>${row.stuckStatus}</td>
<td><span class="badge badge-${row.trouble === "dead-lettered" ? "dead-lettered" : "incomplete"}">${troubleLabels[row.trouble ?? "none"]}</span></td>
<td class="long">${
		error
			? html`<span class="error-text">${capitalised(effectKindLabels[error.kind])} not written. Knack ${error.knackStatus === null ? "gave no answer" : `answered ${error.knackStatus}`}: ${truncate(knackWords(error.error), 120)}</span><br><code class="note wrap">${callTarget(error.method, error.objectKey, error.recordId)}</code>`
			: "No Knack error recorded yet."
	}</td>
<td><a class="button secondary" href="${paymentPath(row.citybaseId, "retry")}" aria-label="Retry payment ${row.citybaseId}">Retry…</a></td>
</tr>`;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function pager(page: StuckPage, query: StuckQuery, pageNumber: number): Html | string {
	if (!page.previous && !page.next) return "";
	const at = (direction: "after" | "before", cursor: StuckCursor, n: number) => {
		const params = filterParams(query);
		params.set(direction, cursorText(cursor));
		params.set("page", String(n));
		return stuckPath(params);
	};
	return html`<nav class="pager" aria-label="Pages of stuck payments">
${page.previous ? html`<a class="button secondary" href="${at("before", page.previous, Math.max(1, pageNumber - 1))}" rel="prev">← Previous ${STUCK_PAGE_SIZE}</a>` : ""}
${pageNumber > 2 ? html`<a href="${stuckPath(filterParams(query))}">First page</a>` : ""}
${page.next ? html`<a class="button secondary" href="${at("after", page.next, pageNumber + 1)}" rel="next">Next ${STUCK_PAGE_SIZE} →</a>` : ""}
</nav>`;
}

/** Asks for the confirmation of a retry of exactly the payments on this page. */
function retryAllForm(rows: PaymentRow[], query: StuckQuery, pageNumber: number): Html {
	const params = filterParams(query);
	return html`<form class="retry-all" method="get" action="/admin/stuck/retry">
<input type="hidden" name="payments" value="${rows.map((r) => r.citybaseId).join(",")}">
${[...params].map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<input type="hidden" name="page" value="${pageNumber}">
<button type="submit" class="button">Retry all ${counted(rows.length, "payment")} shown…</button>
<p class="hint">The next page lists what would be sent to Knack and how long it takes; nothing is sent until you confirm there.</p>
</form>`;
}
