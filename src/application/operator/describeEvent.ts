import {
	type AppliedData,
	type DeadLetteredData,
	type EffectFailedData,
	type EffectSucceededData,
	EventTypes,
	type OperatorActionData,
	type StoredEvent,
} from "../../events/types.ts";

/**
 * An event in an operator's words, written once for every face that shows one: the
 * CLI's `events show` and `payments show` print `describeEvent` as a row, the console's
 * payment page lays the same phrases out in its own columns (`describeEffect`).
 */
export interface EventDescription {
	/** what happened: "message written", "refund failed by recovery", "replay by ana (console)"; else the event's type */
	name: string;
	/** the Knack call an effect made ("PUT object_180/…"); "" for any other event */
	call: string;
	/** how it ended: "200 record …, found already in Knack", "500: … (may have been applied)", "2 written, 0 already done" */
	result: string;
}

/** A Knack write's outcome, in the phrases every face uses. */
export type EffectDescription = {
	kind: EffectSucceededData["kind"];
	/** who made the call when it was not the postback's own request (the usual case, left unsaid) */
	by: string | null;
	method: string;
	objectKey: string;
	recordId: string | null;
	/** Knack's status; null when it gave no answer */
	knackStatus: number | null;
	/** "found already in Knack" (an insert looked up, nothing sent) or "may have been applied" (a failure without a clear answer) */
	note: string | null;
} & ({ written: true } | { written: false; error: string });

const noAnswer = "no answer";

/** `PUT object_180/5f1…` / `POST object_181`: a Knack call as operators read it. */
export function callTarget(method: string, objectKey: string, recordId: string | null): string {
	return `${method} ${objectKey}${recordId && method !== "POST" ? `/${recordId}` : ""}`;
}

/** Knack's status (or that it gave none) and its error text. */
export function failureText(failure: Pick<EffectFailedData, "knackStatus" | "error">): string {
	return `${failure.knackStatus ?? noAnswer}: ${failure.error}`;
}

/** What a failed write's status cell says: "failed 500", "failed (no answer)". */
export function failedStatus(knackStatus: number | null): string {
	return `failed ${knackStatus ?? `(${noAnswer})`}`;
}

export function isEffect(e: StoredEvent): boolean {
	return e.type === EventTypes.effectSucceeded || e.type === EventTypes.effectFailed;
}

/** Call only for an effect event (`isEffect`). */
export function describeEffect(e: StoredEvent): EffectDescription {
	const data = e.data as EffectSucceededData | EffectFailedData;
	const { kind, method, objectKey, recordId, knackStatus } = data;
	const call = { kind, by: data.by === "postback" ? null : data.by, method, objectKey, recordId, knackStatus };
	if (e.type === EventTypes.effectSucceeded) {
		const found = (data as EffectSucceededData).via === "lookup";
		return { ...call, written: true, note: found ? "found already in Knack" : null };
	}
	const { certain, error } = data as EffectFailedData;
	return { ...call, written: false, note: certain ? null : "may have been applied", error };
}

export function describeEvent(e: StoredEvent): EventDescription {
	if (isEffect(e)) {
		const effect = describeEffect(e);
		const name = `${effect.kind} ${effect.written ? "written" : "failed"}${effect.by ? ` by ${effect.by}` : ""}`;
		const result = effect.written
			? `${effect.knackStatus} record ${effect.recordId ?? "-"}${effect.note ? `, ${effect.note}` : ""}`
			: `${failureText(effect)}${effect.note ? ` (${effect.note})` : ""}`;
		return { name, call: callTarget(effect.method, effect.objectKey, effect.recordId), result };
	}
	const said = others[e.type];
	return said ? { call: "", ...said(e) } : { name: e.type, call: "", result: "" };
}

const others: Partial<Record<StoredEvent["type"], (e: StoredEvent) => { name: string; result: string }>> = {
	[EventTypes.accepted]: () => ({ name: "delivery accepted", result: "" }),
	[EventTypes.applied]: (e) => {
		const { performed, skipped } = e.data as AppliedData;
		return { name: e.type, result: `${performed} written, ${skipped} already done` };
	},
	[EventTypes.deadLettered]: (e) => ({ name: e.type, result: (e.data as DeadLetteredData).reason }),
	[EventTypes.operatorAction]: (e) => {
		const { action, who, by, result } = e.data as OperatorActionData;
		return { name: `${action} by ${who} (${by})`, result };
	},
};
