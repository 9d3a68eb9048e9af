import type { KnackRecord } from "../../projections/knack/plan.ts";

/**
 * Whether a Knack record still holds what we wrote. Knack answers each field twice,
 * formatted (`field_N`) and raw (`field_N_raw`), and formats booleans ("Yes") and
 * dates its own way, so values are compared by meaning: a boolean as a boolean, a
 * string as trimmed text, a date by its day and minute (`MM/DD/YYYY HH:mm` written,
 * `08/18/2025 2:17pm` or `{date, hours, minutes, am_pm}` read back; a read-back with
 * no time is compared by day only). Every representation present must agree.
 */
export interface FieldDisagreement {
	/** what Knack holds, as shown to the operator */
	actual: string;
}

const writtenDate = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/;

export function compareField(record: KnackRecord, field: string, expected: unknown): FieldDisagreement | null {
	const present = [field, `${field}_raw`].filter((name) => record[name] !== undefined && record[name] !== null);
	if (present.length === 0) return { actual: "(empty)" };
	for (const name of present) {
		if (!sameValue(expected, record[name])) return { actual: show(record[name]) };
	}
	return null;
}

export function sameValue(expected: unknown, actual: unknown): boolean {
	if (typeof expected === "boolean") return asBoolean(actual) === expected;
	if (typeof expected === "string") {
		const date = writtenDate.exec(expected);
		if (date) {
			const [, month, day, year, hour, minute] = date.map(Number) as number[];
			const read = readDate(actual);
			if (!read) return false;
			return (
				read.year === year &&
				read.month === month &&
				read.day === day &&
				(read.minuteOfDay === null || read.minuteOfDay === (hour as number) * 60 + (minute as number))
			);
		}
		return typeof actual === "string" && actual.trim() === expected.trim();
	}
	return JSON.stringify(actual) === JSON.stringify(expected);
}

function asBoolean(value: unknown): boolean | null {
	if (typeof value === "boolean") return value;
	if (typeof value !== "string") return null;
	const text = value.trim().toLowerCase();
	if (text === "yes" || text === "true") return true;
	if (text === "no" || text === "false") return false;
	return null;
}

interface ReadDate {
	year: number;
	month: number;
	day: number;
	minuteOfDay: number | null;
}

function readDate(value: unknown): ReadDate | null {
	if (typeof value === "string") return parseDateText(value);
	if (value && typeof value === "object") {
		const raw = value as Record<string, unknown>;
		if (typeof raw.date === "string") {
			const day = parseDateText(raw.date);
			if (!day) return null;
			if (raw.hours === undefined || raw.minutes === undefined) return day;
			return { ...day, minuteOfDay: clock(Number(raw.hours), Number(raw.minutes), raw.am_pm) };
		}
		if (typeof raw.timestamp === "string") return parseDateText(raw.timestamp);
	}
	return null;
}

function parseDateText(text: string): ReadDate | null {
	const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})\s*([ap]m)?)?\s*$/i.exec(text);
	if (!m) return null;
	return {
		month: Number(m[1]),
		day: Number(m[2]),
		year: Number(m[3]),
		minuteOfDay: m[4] === undefined ? null : clock(Number(m[4]), Number(m[5]), m[6]),
	};
}

function clock(hours: number, minutes: number, amPm: unknown): number {
	const marker = typeof amPm === "string" ? amPm.toLowerCase() : "";
	const h = marker === "pm" && hours < 12 ? hours + 12 : marker === "am" && hours === 12 ? 0 : hours;
	return h * 60 + minutes;
}

function show(value: unknown): string {
	return typeof value === "string" ? value : JSON.stringify(value);
}
