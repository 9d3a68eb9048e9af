import type { PlannedCall } from "../../application/operator/dryRun.ts";
import type { Disagreement, Verification, Writer } from "../../application/operator/verify.ts";
import type { EnvironmentName } from "../../config.ts";
import type { FieldMapName } from "../../projections/knack/fieldMaps.ts";
import { fieldName } from "../../projections/knack/fieldNames.ts";
import { type Html, html } from "../html.ts";
import type { Session } from "../session.ts";
import { effectKindLabels, paymentPath } from "./format.ts";
import { notice, scrolling } from "./layout.ts";
import { callsList, confirmForm, show } from "./repair.ts";

/** Verify: Knack read back against the log for one payment; Fix: its confirmation and result. */
export function verifyView(citybaseId: number, v: Verification, fieldMap: FieldMapName): Html {
	const agree = v.disagreements.length === 0 && v.unreadable.length === 0;
	return html`<h1>Verify payment ${citybaseId} against Knack</h1>
${
	agree
		? notice("success", `Knack agrees with the log: ${v.records} ${v.records === 1 ? "record" : "records"} checked.`)
		: v.disagreements.length > 0
			? notice(
					"error",
					`Knack disagrees with the log on ${v.disagreements.length} ${v.disagreements.length === 1 ? "field" : "fields"}.`,
				)
			: ""
}
${unreadable(v)}
${v.disagreements.length > 0 ? disagreementsTable(v.disagreements, fieldMap) : ""}
<div class="actions">
${v.disagreements.length > 0 ? html`<a class="button" href="${paymentPath(citybaseId, "fix")}">Fix…</a>` : ""}
<a class="button secondary" href="${paymentPath(citybaseId)}">Back to payment ${citybaseId}</a>
</div>`;
}

/** A fix re-applies whole deliveries: every write each one makes is listed, not only the fields that differ. */
export function fixConfirmView(
	citybaseId: number,
	v: Verification,
	fixes: { writer: Writer; calls: PlannedCall[] }[],
	session: Session,
	environment: EnvironmentName,
	fieldMap: FieldMapName,
): Html {
	if (v.disagreements.length === 0) return verifyView(citybaseId, v, fieldMap);
	const calls = fixes.reduce((n, f) => n + f.calls.length, 0);
	return html`<h1>Fix payment ${citybaseId} in Knack?</h1>
<p>Knack no longer holds what the log says was written:</p>
${disagreementsTable(v.disagreements, fieldMap)}
<p>Fixing re-applies ${fixes.length === 1 ? "the delivery that wrote it" : `the ${fixes.length} deliveries that wrote them`}, every write again, with the date each was received. That is ${calls} ${calls === 1 ? "call" : "calls"} to the <strong>${environment}</strong> Knack; an insert is looked up first, so nothing is duplicated:</p>
${fixes.map(
	({ writer, calls }) => html`<h2>Delivery ${writer.deliverySeq}: payment ${writer.citybaseId} ${writer.status}</h2>
${callsList(calls, fieldMap)}`,
)}
${confirmForm(paymentPath(citybaseId, "fix"), "Yes, fix in Knack", session, citybaseId)}`;
}

export function fixResultView(
	citybaseId: number,
	v: Verification,
	fixed: Set<Disagreement>,
	lines: string[],
	fieldMap: FieldMapName,
): Html {
	const all = v.disagreements.every((d) => fixed.has(d));
	return html`<h1>Fix of payment ${citybaseId}</h1>
${
	v.disagreements.length === 0
		? notice("info", "Knack already agreed with the log: nothing was written.")
		: all
			? notice(
					"success",
					`Fixed: Knack now agrees with the log on ${v.disagreements.length === 1 ? "that field" : `all ${v.disagreements.length} fields`}.`,
				)
			: notice("error", `${v.disagreements.length - fixed.size} of ${v.disagreements.length} fields are still wrong.`)
}
${lines.length > 0 ? html`<ul>${lines.map((l) => html`<li>${l}</li>`)}</ul>` : ""}
${v.disagreements.length > 0 ? disagreementsTable(v.disagreements, fieldMap, fixed) : ""}
<p><a class="button" href="${paymentPath(citybaseId)}">Back to payment ${citybaseId}</a></p>`;
}

function unreadable(v: Verification): Html | string {
	if (v.unreadable.length === 0) return "";
	return notice("error", html`Could not read from Knack: <ul>${v.unreadable.map((u) => html`<li>${u}</li>`)}</ul>`);
}

function disagreementsTable(disagreements: Disagreement[], fieldMap: FieldMapName, fixed?: Set<Disagreement>): Html {
	return scrolling(
		"disagreements-title",
		html`<table>
<thead><tr><th scope="col">Field</th><th scope="col">The log says</th><th scope="col">Knack has</th>${fixed ? html`<th scope="col">Now</th>` : ""}<th scope="col">Record</th></tr></thead>
<tbody>${disagreements.map((d) => {
			const name = fieldName(fieldMap, d.record.objectKey, d.field);
			return html`<tr>
<td>${name ? html`${name} <code>${d.field}</code>` : d.field}</td>
<td>${show(d.expected)}</td>
<td class="error-text">${d.actual}</td>
${fixed ? html`<td class="${fixed.has(d) ? "ok" : "failed"}">${fixed.has(d) ? "fixed" : "not fixed"}</td>` : ""}
<td>${effectKindLabels[d.record.kind]} <code class="wrap">${d.record.objectKey}/${d.record.recordId}</code></td>
</tr>`;
		})}</tbody>
</table>`,
		"Fields where Knack and the log differ",
	);
}
