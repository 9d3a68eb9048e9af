import type { FieldMapName } from "../../projections/knack/fieldMaps.ts";
import { type FilterRule, type PlannedEffect, type RefundSource, refundBody } from "../../projections/knack/plan.ts";
import { effectProgress } from "../../projections/knack/progress.ts";
import { effectSteps } from "../../projections/knack/steps.ts";
import type { Assessment } from "./history.ts";

/**
 * The Knack calls a replay would make, without making them: the projector's own steps
 * (`effectSteps`), in its order. An insert that may already be in Knack is looked up
 * first (always, when forced); a refund reads its source transaction, so the fields it
 * copies are shown as copied from that GET.
 */
export interface PlannedCall {
	purpose: "lookup" | "source" | "write";
	kind: PlannedEffect["kind"];
	method: "GET" | "POST" | "PUT";
	objectKey: string;
	recordId: string | null;
	filters?: FilterRule[];
	body?: Record<string, unknown>;
	/** the GET a refund's copied fields come from */
	copiedFrom?: string;
}

export interface DryRunOptions {
	force: boolean;
	fieldMap: FieldMapName;
	/** a projection claim whose lease ran out: its holder's inserts may be in Knack */
	inheritedClaim: boolean;
}

export function plannedCalls(
	a: Pick<Assessment, "delivery" | "plan" | "outcomes">,
	{ force, fieldMap, inheritedClaim }: DryRunOptions,
): PlannedCall[] {
	const { remaining, unsure } = effectProgress(a.plan.effects, a.outcomes, { force, inherited: inheritedClaim });
	return remaining.flatMap((effect) => {
		const source = effect.source ? `GET ${effect.source.objectKey}/${effect.source.recordId}` : null;
		return effectSteps(effect, unsure).map((step): PlannedCall => {
			// Keys in a fixed order (kind, objectKey, purpose, method, recordId): scripts read this JSON.
			const call = { kind: effect.kind, objectKey: step.objectKey, purpose: step.purpose, method: step.method };
			if (step.purpose === "lookup") return { ...call, purpose: "lookup", recordId: null, filters: step.filters };
			if (step.purpose === "source") return { ...call, purpose: "source", recordId: step.recordId };
			if (!source) return { ...call, purpose: "write", recordId: step.recordId, body: effect.body ?? {} };
			const context = { fieldMap, recordedAt: a.delivery.receivedAt };
			const body = refundBody(a.delivery.payment, context, placeholderSource(source));
			return { ...call, purpose: "write", recordId: step.recordId, body, copiedFrom: source };
		});
	});
}

/** Each copied field named by where the GET would give it: `field_N`, or a connection's `field_N_raw[0].id`. */
function placeholderSource(source: string): RefundSource {
	return (field, copy) => `<copied from ${source}: ${copy === "value" ? field : `${field}_raw[0].id`}>`;
}
