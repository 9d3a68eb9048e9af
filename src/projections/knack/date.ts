import { chicagoParts } from "../../austinTime.ts";

/**
 * Knack dates are written as `MM/DD/YYYY HH:mm` on a 24-hour clock in
 * America/Chicago, whatever the host's TZ (docs/design.md §1), from the time the delivery was
 * recorded, so a replay writes the same value as the original delivery would have.
 */
export function knackDate(epochMs: number): string {
	const p = chicagoParts(epochMs);
	return `${p.month}/${p.day}/${p.year} ${p.hour}:${p.minute}`;
}
