import type { FilterRule, PlannedEffect } from "./plan.ts";

/**
 * The Knack calls one effect takes, in order, as data: a lookup first when an earlier
 * attempt may already have inserted the record, the refund's source record next, then
 * the write. The projector (run.ts) performs these steps and the dry run prints them,
 * so what a dry run shows is what a replay does. Pure.
 */
export type EffectStep =
	| { purpose: "lookup"; method: "GET"; objectKey: string; filters: FilterRule[] }
	| { purpose: "source"; method: "GET"; objectKey: string; recordId: string }
	| { purpose: "write"; method: "POST" | "PUT"; objectKey: string; recordId: string | null };

export function effectSteps(effect: PlannedEffect, unsure: ReadonlySet<string>): EffectStep[] {
	const steps: EffectStep[] = [];
	if (effect.lookup && unsure.has(effect.key)) {
		steps.push({ purpose: "lookup", method: "GET", objectKey: effect.objectKey, filters: effect.lookup });
	}
	if (effect.source) {
		steps.push({ purpose: "source", method: "GET", ...effect.source });
	}
	steps.push({ purpose: "write", method: effect.method, objectKey: effect.objectKey, recordId: effect.recordId });
	return steps;
}
