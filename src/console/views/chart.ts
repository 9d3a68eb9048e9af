import { knackErrorRate, type RecentActivity } from "../../application/operator/activity.ts";
import type { DeliveryProgress } from "../../application/operator/timeline.ts";
import { type Html, html } from "../html.ts";
import { austinHour, austinTime } from "./format.ts";
import { scrolling } from "./layout.ts";

/**
 * Today: the last 24 hours of postbacks as stacked bars, one an hour, drawn on the
 * server as inline SVG. The same figures follow as a table, which is what a screen
 * reader reads; the chart is its picture.
 */
const series: { state: DeliveryProgress; label: string }[] = [
	{ state: "applied", label: "Complete" },
	{ state: "incomplete", label: "Incomplete" },
	{ state: "dead-lettered", label: "Dead-lettered" },
	{ state: "rejected", label: "Rejected" },
];

const width = 720;
const height = 200;
const left = 36;
const bottom = 24;
const top = 8;

export function todayView(activity: RecentActivity): Html {
	const rate = knackErrorRate(activity);
	const total = series.reduce((n, s) => n + activity.totals[s.state], 0);
	const calls = activity.knack.succeeded + activity.knack.failed;
	return html`<section aria-labelledby="today">
<h2 id="today">Today: the last 24 hours</h2>
${chart(activity, total)}
<ul class="legend" aria-hidden="true">${series.map((s) => html`<li><span class="swatch fill-${s.state}"></span>${s.label}</li>`)}</ul>
${scrolling(
	"totals-title",
	html`<table class="totals">
<thead><tr>${series.map((s) => html`<th scope="col">${s.label}</th>`)}<th scope="col">Knack error rate</th></tr></thead>
<tbody><tr>${series.map((s) => html`<td>${activity.totals[s.state]}</td>`)}<td>${
		rate === null
			? "no Knack calls"
			: `${(rate * 100).toFixed(1)}% (${activity.knack.failed} of ${calls} call${calls === 1 ? "" : "s"} failed)`
	}</td></tr></tbody>
</table>`,
	"Postbacks received in the last 24 hours, by outcome",
)}
${quotaTable(activity)}
</section>`;
}

const count = (n: number | null) => (n === null ? "unknown" : n.toLocaleString("en-US"));

/** What is left of each app's daily Knack quota: replays stop at the reserve, payments at zero. */
function quotaTable({ quotas }: RecentActivity): Html {
	if (quotas.length === 0)
		return html`<p>Knack's daily quota: not known yet (Knack reports it with its first answer).</p>`;
	return scrolling(
		"quota-title",
		html`<table class="quota">
<thead><tr><th scope="col">Knack app</th><th scope="col">Calls left today</th><th scope="col">Daily limit</th><th scope="col">Resets</th></tr></thead>
<tbody>${quotas.map(
			(q) =>
				html`<tr><td>${q.app}</td><td>${count(q.remaining)}</td><td>${count(q.limit)}</td><td>${q.resetAt === null ? "unknown" : austinTime(q.resetAt)}</td></tr>`,
		)}</tbody>
</table>`,
		"Knack's daily quota, as Knack last reported it",
	);
}

function chart(activity: RecentActivity, total: number): Html {
	const busiest = Math.max(1, ...activity.hours.map((h) => series.reduce((n, s) => n + h.outcomes[s.state], 0)));
	const plotHeight = height - top - bottom;
	const slot = (width - left) / activity.hours.length;
	const y = (n: number) => top + plotHeight - (n / busiest) * plotHeight;
	const bars = activity.hours.map((hour, i) => {
		const x = left + i * slot + slot * 0.15;
		let stacked = 0;
		const rects = series.map(({ state }) => {
			const n = hour.outcomes[state];
			if (n === 0) return "";
			const rect = html`<rect class="fill-${state}" x="${x.toFixed(1)}" y="${y(stacked + n).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${((n / busiest) * plotHeight).toFixed(1)}"></rect>`;
			stacked += n;
			return rect;
		});
		const label =
			i % 3 === 0
				? html`<text class="axis" x="${(x + slot * 0.35).toFixed(1)}" y="${height - 6}" text-anchor="middle">${austinHour(hour.start)}</text>`
				: "";
		return html`<g>${rects}${label}</g>`;
	});
	return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="chart-title">
<title id="chart-title">Postbacks per hour over the last 24 hours: ${total} in all, busiest hour ${busiest === 1 && total === 0 ? 0 : busiest}</title>
<line class="grid" x1="${left}" y1="${top}" x2="${width}" y2="${top}"></line>
<line class="grid" x1="${left}" y1="${top + plotHeight}" x2="${width}" y2="${top + plotHeight}"></line>
<text class="axis" x="${left - 6}" y="${top + 12}" text-anchor="end">${busiest}</text>
<text class="axis" x="${left - 6}" y="${top + plotHeight}" text-anchor="end">0</text>
${bars}
</svg>`;
}
