import { chicagoParts } from "../austinTime.ts";

/**
 * The CloudWatch stream of a log line is the day it happened in Austin, `YYYY/MM/DD`,
 * so streams roll over at Chicago midnight whatever the host's TZ.
 */

const HOUR_MS = 3_600_000;

/**
 * Returns a function from a timestamp (ms) to its stream name. Chicago's offset is a whole
 * number of hours and changes on an hour boundary, so the date is the same throughout a UTC
 * hour: remembering the last hour spares formatting each of thousands of lines per flush.
 */
export function dailyStreamNamer(): (timestampMs: number) => string {
	let lastHour = Number.NaN;
	let lastName = "";
	return (timestampMs) => {
		const hour = Math.floor(timestampMs / HOUR_MS);
		if (hour !== lastHour) {
			lastHour = hour;
			lastName = format(timestampMs);
		}
		return lastName;
	};
}

function format(timestampMs: number): string {
	const p = chicagoParts(timestampMs);
	return `${p.year}/${p.month}/${p.day}`;
}
