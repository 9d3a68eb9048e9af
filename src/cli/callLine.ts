import type { PlannedCall } from "../application/operator/dryRun.ts";
import type { FieldMapName } from "../projections/knack/fieldMaps.ts";
import { namedField } from "../projections/knack/fieldNames.ts";

/**
 * One call as a line, each field named by the field map with its id beside it:
 * `PUT  object_180/5f1… {transaction status (field_3352): "PAID", …}`.
 */
export function callLine(call: PlannedCall, fieldMap: FieldMapName): string {
	const target = `${call.method.padEnd(4)} ${call.objectKey}${call.recordId ? `/${call.recordId}` : ""}`;
	const field = (id: string) => namedField(fieldMap, call.objectKey, id);
	switch (call.purpose) {
		case "lookup":
			return `${target} filters ${(call.filters ?? []).map((r) => `${field(r.field)} ${r.operator} ${JSON.stringify(r.value)}`).join(" and ")}  (lookup: the ${call.kind} insert is skipped if found)`;
		case "source":
			return `${target}  (read: the refund record copies fields from it)`;
		case "write":
			return `${target} {${Object.entries(call.body ?? {})
				.map(([id, value]) => `${field(id)}: ${JSON.stringify(value)}`)
				.join(", ")}}`;
	}
}
