/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: number[], p: number): number {
	if (samples.length === 0) return Number.NaN;
	const sorted = [...samples].sort((a, b) => a - b);
	const rank = Math.ceil((p / 100) * sorted.length);
	return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (samples: number[]) => percentile(samples, 50);

/** A figure repeated over runs: its median, and min–max when there was more than one run. */
export function spread(samples: number[], format: (n: number) => string): string {
	const finite = samples.filter(Number.isFinite);
	if (finite.length === 0) return "—";
	const mid = format(median(finite));
	if (finite.length === 1) return mid;
	return `${mid} (${format(Math.min(...finite))}–${format(Math.max(...finite))})`;
}

export const fixed = (digits: number) => (n: number) => n.toFixed(digits);
export const whole = (n: number) => Math.round(n).toLocaleString("en-US");
export const percent = (n: number) => `${Math.round(n * 100)} %`;

export function markdownTable(header: string[], rows: string[][]): string {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
	const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
	return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
