import { chicagoWallTime } from "../austinTime.ts";
import { UsageError } from "./io.ts";

/**
 * `--since` / `--until` values. Operators think in Austin time, as Knack shows it, so a
 * date or time without a zone is America/Chicago wall-clock time; an ISO time with `Z`
 * or an offset is taken as written. A bare date as an upper bound includes that day.
 */
export function parseDateBound(raw: string, option: string, bound: "start" | "end"): number {
	const text = raw.trim();
	const local = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
	if (local) {
		const [y, mo, d, h, mi, s] = local.slice(1).map((part) => Number(part ?? 0)) as [
			number,
			number,
			number,
			number,
			number,
			number,
		];
		const real = new Date(Date.UTC(y, mo - 1, d));
		if (real.getUTCMonth() !== mo - 1 || real.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
			throw new UsageError(`${option}: ${JSON.stringify(raw)} is not a real date or time`);
		}
		const wholeDay = local[4] === undefined && bound === "end";
		return chicagoWallTime(y, mo, wholeDay ? d + 1 : d, h, mi, s);
	} else if (/^\d{4}-\d{2}-\d{2}T.*(?:Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
		const value = Date.parse(text);
		if (Number.isFinite(value)) return value;
	}
	throw new UsageError(
		`${option} must be a date (2025-08-18) or time (2025-08-18T14:17, Austin time; or ISO with Z/offset), not ${JSON.stringify(raw)}`,
	);
}
