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
	second: "2-digit",
	hourCycle: "h23",
});

/** Austin wall-clock time of an instant, as zero-padded parts (year, month, day, hour, minute, second). */
export function chicagoParts(epochMs: number): Record<"year" | "month" | "day" | "hour" | "minute" | "second", string> {
	const parts: Record<string, string> = {};
	for (const { type, value } of chicago.formatToParts(epochMs)) parts[type] = value;
	return parts as ReturnType<typeof chicagoParts>;
}

export function knackDate(epochMs: number): string {
	const p = chicagoParts(epochMs);
	return `${p.month}/${p.day}/${p.year} ${p.hour}:${p.minute}`;
}
