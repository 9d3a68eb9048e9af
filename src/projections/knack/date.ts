/**
 * Knack dates are written as `MM/DD/YYYY HH:mm` on a 24-hour clock in
 * America/Chicago, whatever the host's TZ (SPEC §1), from the time the delivery was
 * recorded, so a replay writes the same value as the original delivery would have.
 */
const chicago = new Intl.DateTimeFormat("en-US", {
	timeZone: "America/Chicago",
	year: "numeric",
	month: "2-digit",
	day: "2-digit",
	hour: "2-digit",
	minute: "2-digit",
	hourCycle: "h23",
});

export function knackDate(epochMs: number): string {
	const parts: Record<string, string> = {};
	for (const { type, value } of chicago.formatToParts(epochMs)) parts[type] = value;
	return `${parts.month}/${parts.day}/${parts.year} ${parts.hour}:${parts.minute}`;
}
