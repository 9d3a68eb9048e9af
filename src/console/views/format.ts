import { chicagoParts } from "../../austinTime.ts";
import type { EffectKind } from "../../events/types.ts";
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
