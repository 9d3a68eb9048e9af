import {
	type EffectFailedData,
	type EffectSucceededData,
	type EventType,
	EventTypes,
	isOutcome,
	type OutcomeType,
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
	/** who made the call (or took the claim over) when it was not the postback's own request (the usual case, left unsaid) */
	by: string | null;
	method: string;
	objectKey: string;
	recordId: string | null;
	/** Knack's status; null when it gave no answer, or was not called */
	knackStatus: number | null;
	/**
	 * "found already in Knack" (an insert looked up, nothing sent), "may have been applied"
	 * (a failure without a clear answer), or why an insert is in doubt
	 */
	note: string | null;
} & ({ state: "written" } | { state: "failed"; error: string } | { state: "doubted" });

const noAnswer = "no answer";

/** `PUT object_180/5f1…` / `POST object_181`: a Knack call as operators read it. */
export function callTarget(method: string, objectKey: string, recordId: string | null): string {
	return `${method} ${objectKey}${recordId && method !== "POST" ? `/${recordId}` : ""}`;
}

/** Knack's status (or that it gave none) and its error text. */
export function failureText(failure: Pick<EffectFailedData, "knackStatus" | "error">): string {
	return `${failure.knackStatus ?? noAnswer}: ${failure.error}`;
}

/** A failed call and what Knack answered, on one line: `PUT object_180/5f1… 400: field_3352 is invalid`. */
export function failureLine(
	failure: Pick<EffectFailedData, "method" | "objectKey" | "recordId" | "knackStatus" | "error">,
): string {
	return `${callTarget(failure.method, failure.objectKey, failure.recordId)} ${failureText(failure)}`;
}

/**
 * What Knack said, out of the JSON it wraps its errors in when it does (`{"errors":
 * [{"message": …}]}`, `{"errors": "…"}`, `{"message": …}`): the words a person reads.
 * Anything else is its text as it came.
 */
export function knackWords(error: string): string {
	try {
		const body = JSON.parse(error) as { errors?: unknown; message?: unknown };
		const errors = Array.isArray(body.errors) ? body.errors : [body.errors ?? body];
		const words = errors.map((e) => (typeof e === "string" ? e : (e as { message?: unknown })?.message));
		if (words.length > 0 && words.every((w) => typeof w === "string")) return words.join("; ");
	} catch {
		// not JSON: Knack's text as it came
	}
	return error;
}

/** What a failed write's status cell says: "failed 500", "failed (no answer)". */
export function failedStatus(knackStatus: number | null): string {
	return `failed ${knackStatus ?? `(${noAnswer})`}`;
}

/** Call only for an outcome event (`isOutcome`). */
export function describeEffect(e: StoredEvent<OutcomeType>): EffectDescription {
	const { kind, by, method, objectKey } = e.data;
	const call = { kind, by: by === "postback" ? null : by, method, objectKey };
	switch (e.type) {
		case EventTypes.effectSucceeded: {
			const { recordId, knackStatus, via } = e.data;
			return {
				...call,
				recordId,
				knackStatus,
				state: "written",
				note: via === "lookup" ? "found already in Knack" : null,
			};
		}
		case EventTypes.effectFailed: {
			const { recordId, knackStatus, certain, error } = e.data;
			return { ...call, recordId, knackStatus, state: "failed", note: certain ? null : "may have been applied", error };
		}
		case EventTypes.effectDoubted:
			return { ...call, recordId: null, knackStatus: null, state: "doubted", note: takenOver };
	}
}

/** Why a claim's takeover leaves an insert in doubt, and what is done about it. */
const takenOver =
	"claim taken over from a holder whose lease ran out: may be in Knack already, looked up before it is sent";

const effectNames: Record<EffectDescription["state"], string> = {
	written: "written",
	failed: "failed",
	doubted: "in doubt",
};

export function describeEvent(e: StoredEvent): EventDescription {
	if (isOutcome(e)) {
		const effect = describeEffect(e);
		const name = `${effect.kind} ${effectNames[effect.state]}${effect.by ? ` by ${effect.by}` : ""}`;
		return { name, call: callTarget(effect.method, effect.objectKey, effect.recordId), result: effectResult(effect) };
	}
	return { call: "", ...describeOther(e) };
}

function effectResult(effect: EffectDescription): string {
	switch (effect.state) {
		case "written":
			return `${effect.knackStatus} record ${effect.recordId ?? "-"}${effect.note ? `, ${effect.note}` : ""}`;
		case "failed":
			return `${failureText(effect)}${effect.note ? ` (${effect.note})` : ""}`;
		case "doubted":
			return effect.note ?? "";
	}
}

type Said = { name: string; result: string };

const others: { [K in EventType]?: (e: StoredEvent<K>) => Said } = {
	[EventTypes.accepted]: () => ({ name: "delivery accepted", result: "" }),
	[EventTypes.applied]: (e) => ({
		name: e.type,
		result: `${e.data.performed} written, ${e.data.skipped} already done`,
	}),
	[EventTypes.deadLettered]: (e) => ({ name: e.type, result: e.data.reason }),
	[EventTypes.operatorAction]: (e) => {
		const { action, who, by, result } = e.data;
		return { name: `${action} by ${who} (${by})`, result };
	},
};

function describeOther<K extends EventType>(e: StoredEvent<K>): Said {
	const said = others[e.type];
	return said ? said(e) : { name: e.type, result: "" };
}
