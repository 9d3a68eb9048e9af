import type { PlannedCall } from "../../application/operator/dryRun.ts";
import type { DryRunStatus } from "../../application/operator/replay.ts";
import { outcomeText, type StatusOutcome } from "../../application/operator/replayer.ts";
import type { EnvironmentName } from "../../config.ts";
import type { FieldMapName } from "../../projections/knack/fieldMaps.ts";
import { fieldName } from "../../projections/knack/fieldNames.ts";
import { type Html, html } from "../html.ts";
import type { Session } from "../session.ts";
import { effectKindLabels, paymentPath } from "./format.ts";
import { csrfField, notice, scrolling } from "./layout.ts";

/** Retry: the confirmation (what a replay of this payment would send) and the result (what it did). */
export function retryConfirmView(
	citybaseId: number,
	planned: DryRunStatus[],
	session: Session,
	environment: EnvironmentName,
	fieldMap: FieldMapName,
): Html {
	const calls = planned.flatMap((s) => s.calls);
	const held = planned.filter((s) => s.heldBy);
	return html`<h1 id="retry">Retry payment ${citybaseId}?</h1>
${
	calls.length === 0
		? notice("info", "Nothing is left to write for this payment; a retry would only mark its deliveries complete.")
		: html`<p>This sends ${calls.length} ${calls.length === 1 ? "call" : "calls"} to the <strong>${environment}</strong> Knack, for this payment only:</p>
${callsList(calls, fieldMap)}`
}
${held.length > 0 ? notice("info", "The service is applying this payment right now; the retry waits for it to finish.") : ""}
${confirmForm(paymentPath(citybaseId, "retry"), "Yes, retry in Knack", session, citybaseId)}`;
}

export function retryResultView(citybaseId: number, outcomes: { status: string; outcome: StatusOutcome }[]): Html {
	const failed = outcomes.some((o) => o.outcome.state === "failed" || o.outcome.state === "interrupted");
	return html`<h1 id="retried">Retry of payment ${citybaseId}</h1>
${failed ? notice("error", "Knack refused part of the retry. The payment is still stuck; the error is below.") : notice("success", "Retry finished.")}
${scrolling(
	"retried",
	html`<table>
<thead><tr><th scope="col">Status</th><th scope="col">Delivery</th><th scope="col">Result</th></tr></thead>
<tbody>${outcomes.map(
		({ status, outcome }) =>
			html`<tr><td>${status}</td><td>${outcome.state === "nothing" ? "-" : outcome.deliverySeq}</td><td class="${outcome.state === "done" || outcome.state === "nothing" ? "ok" : "failed"}">${outcomeText(outcome)}</td></tr>`,
	)}</tbody>
</table>`,
)}
<p><a class="button" href="${paymentPath(citybaseId)}">Back to payment ${citybaseId}</a></p>`;
}

/**
 * The calls a confirmation is about, in order, each with why and what it writes: every
 * field by its name in the field map, its id beside it. A list, not a table, so a phone
 * shows all of it.
 */
export function callsList(calls: PlannedCall[], fieldMap: FieldMapName): Html {
	const field = (call: PlannedCall, id: string) => {
		const name = fieldName(fieldMap, call.objectKey, id);
		return name ? html`${name} <code>${id}</code>` : html`<code>${id}</code>`;
	};
	return html`<ol class="calls">${calls.map(
		(c) => html`<li>
<p><strong>${purpose(c)}</strong> <code class="wrap">${c.method} ${c.objectKey}${c.recordId ? `/${c.recordId}` : ""}</code></p>
${
	c.purpose === "lookup"
		? html`<ul class="fields">${(c.filters ?? []).map((r) => html`<li>where ${field(c, r.field)} ${r.operator} ${show(r.value)}</li>`)}</ul>`
		: c.body
			? html`<ul class="fields">${Object.entries(c.body).map(([id, value]) => html`<li>${field(c, id)}: ${show(value)}</li>`)}</ul>`
			: ""
}
</li>`,
	)}</ol>`;
}

export function show(value: unknown): string {
	return typeof value === "string" ? value : JSON.stringify(value);
}

function purpose(call: PlannedCall): string {
	switch (call.purpose) {
		case "lookup":
			return `Look up the ${effectKindLabels[call.kind]} first: it may be in Knack already.`;
		case "source":
			return "Read the transaction the refund copies from.";
		case "write":
			return `Write the ${effectKindLabels[call.kind]}:`;
	}
}

/** The one form that lets a Knack write happen: it carries the CSRF token and says yes. */
export function confirmForm(action: string, label: string, session: Session, citybaseId: number): Html {
	return html`<form class="actions" method="post" action="${action}">
${csrfField(session)}
<input type="hidden" name="confirm" value="yes">
<button type="submit" class="button danger">${label}</button>
<a class="button secondary" href="${paymentPath(citybaseId)}">Cancel</a>
</form>`;
}
