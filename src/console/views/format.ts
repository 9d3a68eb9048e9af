import { chicagoParts } from "../../austinTime.ts";
import type { EffectKind } from "../../events/types.ts";
import type { Trouble } from "../../projections/paymentRow.ts";
import { html } from "../html.ts";

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Austin wall-clock time as a person reads it, with its zone: `Aug 18, 2025 2:17:05 PM CT`. */
export function austinTime(epochMs: number): string {
	const p = chicagoParts(epochMs);
	const hour = Number(p.hour);
	const h12 = hour % 12 === 0 ? 12 : hour % 12;
	return `${months[Number(p.month) - 1]} ${Number(p.day)}, ${p.year} ${h12}:${p.minute}:${p.second} ${hour < 12 ? "AM" : "PM"} CT`;
}

/** A `<time>` element: Austin time to read, the instant in UTC for machines; it may break between date and time. */
export function timeCell(epochMs: number) {
	const [day, time] = austinTime(epochMs).split(/(?<=\d{4}) /);
	return html`<time datetime="${new Date(epochMs).toISOString()}"><span class="nowrap">${day}</span> <span class="nowrap">${time}</span></time>`;
}

/** `2 PM`: an hour of the day in Austin, for the chart's axis. */
export function austinHour(epochMs: number): string {
	const hour = Number(chicagoParts(epochMs).hour);
	return `${hour % 12 === 0 ? 12 : hour % 12} ${hour < 12 ? "AM" : "PM"}`;
}

/** What each kind of Knack write is, in the words of the pages. */
export const effectKindLabels: Record<EffectKind, string> = {
	message: "message",
	transaction: "transaction",
	parent: "reservation",
	refund: "refund record",
};

export function paymentPath(citybaseId: number, action?: "retry" | "verify" | "fix"): string {
	return `/admin/payments/${encodeURIComponent(String(citybaseId))}${action ? `/${action}` : ""}`;
}

const stateLabels = {
	applied: "Complete",
	incomplete: "Incomplete",
	"dead-lettered": "Dead-lettered",
	rejected: "Rejected",
} as const;

/** A delivery's state as a badge whose words say it all; colour only repeats them. */
export function stateBadge(state: keyof typeof stateLabels) {
	return html`<span class="badge badge-${state}">${stateLabels[state]}</span>`;
}

/** Why a payment is stuck, in the words of the Stuck page (its filter and its list). */
export const troubleLabels: Record<Trouble, string> = {
	"knack-5xx": "Knack down or no answer (5xx, timeout)",
	"knack-4xx": "Knack refused the write (4xx)",
	quota: "Knack's limit (429)",
	"dead-lettered": "Dead-lettered: recovery gave up",
	none: "No error yet",
};

/** `1 payment`, `2 payments`, with thousands separated. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
	return `${n.toLocaleString("en-US")} ${n === 1 ? singular : plural}`;
}

/** A span of time as a person says it, to the nearest unit that matters: `45 seconds`, `3 minutes`, `2 hours 10 minutes`, `4 days`. */
export function durationText(ms: number): string {
	const seconds = Math.max(1, Math.round(ms / 1000));
	if (seconds < 90) return counted(seconds, "second");
	const minutes = Math.round(seconds / 60);
	if (minutes < 90) return counted(minutes, "minute");
	const hours = Math.floor(minutes / 60);
	if (hours < 48) return `${counted(hours, "hour")}${minutes % 60 ? ` ${counted(minutes % 60, "minute")}` : ""}`;
	return counted(Math.floor(hours / 24), "day");
}

/** The page of the console for an operator job (a retry of many payments). */
export function jobPath(id: string): string {
	return `/admin/jobs/${encodeURIComponent(id)}`;
}
