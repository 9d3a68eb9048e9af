import { type FieldMapName, fieldMaps } from "../projections/knack/fieldMaps.ts";
import { type FilterRule, type KnackRecord, type PlannedEffect, refundBody } from "../projections/knack/plan.ts";
import { effectProgress } from "../projections/knack/progress.ts";
import type { Assessment } from "./history.ts";

/**
 * The Knack calls a replay would make, without making them: the same choices as the
 * projector (run.ts), in its order. An insert that may already be in Knack is looked
 * up first (always, when forced); a refund reads its source transaction, so the fields
 * it copies are shown as copied from that GET.
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

export function plannedCalls(a: Assessment, { force, fieldMap, inheritedClaim }: DryRunOptions): PlannedCall[] {
	const { remaining, unsure } = effectProgress(a.plan.effects, a.outcomes, { force, inherited: inheritedClaim });
	const calls: PlannedCall[] = [];
	for (const effect of remaining) {
		const common = { kind: effect.kind, objectKey: effect.objectKey };
		if (effect.lookup && unsure.has(effect.key)) {
			calls.push({ ...common, purpose: "lookup", method: "GET", recordId: null, filters: effect.lookup });
		}
		if (effect.source) {
			const source = `GET ${effect.source.objectKey}/${effect.source.recordId}`;
			calls.push({
				...common,
				purpose: "source",
				method: "GET",
				objectKey: effect.source.objectKey,
				recordId: effect.source.recordId,
			});
			const context = { fieldMap, recordedAt: a.delivery.receivedAt };
			const body = refundBody(a.delivery.payment, context, placeholderSource(a, fieldMap, source));
			calls.push({
				...common,
				purpose: "write",
				method: effect.method,
				recordId: effect.recordId,
				body,
				copiedFrom: source,
			});
			continue;
		}
		calls.push({
			...common,
			purpose: "write",
			method: effect.method,
			recordId: effect.recordId,
			body: effect.body ?? {},
		});
	}
	return calls;
}

/** A stand-in for the refund's source record whose every copied field names where it would come from. */
function placeholderSource(a: Assessment, fieldMap: FieldMapName, source: string): KnackRecord {
	const refund = fieldMaps[fieldMap][a.delivery.payment.app].refund;
	if (!refund) return {};
	const copied = (field: string) => `<copied from ${source}: ${field}>`;
	const connection = (field: string) => [{ id: `<copied from ${source}: ${field}_raw[0].id>` }];
	return {
		[refund.customer_name]: copied(refund.customer_name),
		[refund.event_name]: copied(refund.event_name),
		[refund.type]: copied(refund.type),
		[refund.sub_description]: copied(refund.sub_description),
		[`${refund.banner_reservations_lpb}_raw`]: connection(refund.banner_reservations_lpb),
		[`${refund.banner_reservations_ots}_raw`]: connection(refund.banner_reservations_ots),
	};
}

/** One call as a line: `POST object_181 {...}`, `GET object_181 filters ... (lookup: ...)`. */
export function callLine(call: PlannedCall): string {
	const target = `${call.method.padEnd(4)} ${call.objectKey}${call.recordId ? `/${call.recordId}` : ""}`;
	switch (call.purpose) {
		case "lookup":
			return `${target} filters ${(call.filters ?? []).map((r) => `${r.field} ${r.operator} ${JSON.stringify(r.value)}`).join(" and ")}  (lookup: the ${call.kind} insert is skipped if found)`;
		case "source":
			return `${target}  (read: the refund record copies fields from it)`;
		case "write":
			return `${target} ${JSON.stringify(call.body)}`;
	}
}
