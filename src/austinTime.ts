/**
 * Austin wall-clock time (America/Chicago), whatever the host's TZ: Knack dates, the
 * CloudWatch stream of a day, the CLI's tables and the dates operators type are all in
 * it. One formatter for all of them, so they can never disagree about a DST day.
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

export type ChicagoParts = Record<"year" | "month" | "day" | "hour" | "minute" | "second", string>;

/** Austin wall-clock time of an instant, as zero-padded parts (year, month, day, hour, minute, second). */
export function chicagoParts(epochMs: number): ChicagoParts {
	const parts: Record<string, string> = {};
	for (const { type, value } of chicago.formatToParts(epochMs)) parts[type] = value;
	return parts as ChicagoParts;
}

/** The instant Austin's clocks read the given wall time (the offset is found twice to settle DST days). */
export function chicagoWallTime(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
	const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
	let guess = asUtc - (wallClockAsUtc(asUtc) - asUtc);
	guess = asUtc - (wallClockAsUtc(guess) - guess);
	return guess;
}

function wallClockAsUtc(epochMs: number): number {
	const p = chicagoParts(epochMs);
	return Date.UTC(
		Number(p.year),
		Number(p.month) - 1,
		Number(p.day),
		Number(p.hour),
		Number(p.minute),
		Number(p.second),
	);
}
