import type { PlannedCall } from "../application/operator/dryRun.ts";

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
