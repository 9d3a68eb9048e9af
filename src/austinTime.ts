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
	const wall = new Date(epochMs + offsetAt(epochMs));
	return {
		year: String(wall.getUTCFullYear()),
		month: pad(wall.getUTCMonth() + 1),
		day: pad(wall.getUTCDate()),
		hour: pad(wall.getUTCHours()),
		minute: pad(wall.getUTCMinutes()),
		second: pad(wall.getUTCSeconds()),
	};
}

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * Austin's offset from UTC changes only at the top of a UTC hour (2 a.m. local, on a
 * whole-hour offset), so the formatter, slow next to Date arithmetic, is asked once per
 * hour: a replay dating a whole log in order asks it about once per hour of the log.
 */
let cachedHour = Number.NaN;
let cachedOffset = 0;

function offsetAt(epochMs: number): number {
	const hour = Math.floor(epochMs / 3_600_000);
	if (hour !== cachedHour) {
		const start = hour * 3_600_000;
		cachedOffset = wallClockAsUtc(formatterParts(start)) - start;
		cachedHour = hour;
	}
	return cachedOffset;
}

function formatterParts(epochMs: number): ChicagoParts {
	const parts: Record<string, string> = {};
	for (const { type, value } of chicago.formatToParts(epochMs)) parts[type] = value;
	return parts as ChicagoParts;
}

/** The instant Austin's clocks read the given wall time (the offset is found twice to settle DST days). */
export function chicagoWallTime(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
	const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
	let guess = asUtc - offsetAt(asUtc);
	guess = asUtc - offsetAt(guess);
	return guess;
}

function wallClockAsUtc(p: ChicagoParts): number {
	return Date.UTC(
		Number(p.year),
		Number(p.month) - 1,
		Number(p.day),
		Number(p.hour),
		Number(p.minute),
		Number(p.second),
	);
}
