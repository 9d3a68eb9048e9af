import { EventTypes, type StoredEvent } from "../../events/types.ts";
import type { PlannedEffect } from "./plan.ts";

/**
 * Where a (payment, status) stands, from the outcomes recorded for it: which planned
 * effects remain, and which inserts may already be in Knack (an earlier attempt failed
 * without a clear answer, or a takeover left a doubt on it), so they are looked up before a retry.
 * Pure; the projector and the CLI's dry run share it, so a dry run shows what a replay does.
 */
export function effectProgress(
	effects: PlannedEffect[],
	outcomes: StoredEvent[],
	{ force = false, inherited = false }: { force?: boolean; inherited?: boolean } = {},
): { remaining: PlannedEffect[]; unsure: Set<string> } {
	const done = new Set<string>();
	const unsure = new Set<string>();
	for (const outcome of outcomes) {
		if (outcome.effectKey === null) continue;
		if (outcome.type === EventTypes.effectSucceeded) done.add(outcome.effectKey);
		else if (outcome.type === EventTypes.effectDoubted) unsure.add(outcome.effectKey);
		else if (outcome.type === EventTypes.effectFailed && !outcome.data.certain) unsure.add(outcome.effectKey);
	}
	const remaining = force ? effects : effects.filter((e) => !done.has(e.key));
	if (force || inherited) for (const effect of remaining) unsure.add(effect.key);
	return { remaining, unsure };
}
