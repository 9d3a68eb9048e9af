import { isConnectionList, type StoredRecord } from "./records.ts";

/** A stored record as the sandbox answers it, the way Knack does: every field twice, `field_N` formatted and `field_N_raw`. */
export type FormattedRecord = { id: string } & Record<string, unknown>;

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

function escapeHtml(text: string): string {
	return text.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c] ?? c);
}

function formatted(raw: unknown): string {
	if (isConnectionList(raw)) {
		return raw.map((c) => `<span class="${escapeHtml(c.id)}">${escapeHtml(c.identifier)}</span>`).join("<br />");
	}
	if (typeof raw === "boolean") return raw ? "Yes" : "No";
	if (raw === null || raw === undefined) return "";
	if (typeof raw === "object") return JSON.stringify(raw);
	return String(raw);
}

export function formatRecord(record: StoredRecord): FormattedRecord {
	const out: FormattedRecord = { id: record.id };
	for (const [key, raw] of Object.entries(record)) {
		if (key === "id") continue;
		out[key] = formatted(raw);
		out[`${key}_raw`] = raw;
	}
	return out;
}
