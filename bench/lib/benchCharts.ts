import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineChart } from "./chart.ts";
import type { LogSizeResult } from "./logSize.ts";
import type { Sample } from "./scenarios.ts";
import { median, whole } from "./stats.ts";

/** The two charts BENCHMARKS.md embeds, from the medians of a run; returns the files written. */
export function writeCharts(
	dir: string,
	sweep: { connections: number; samples: Sample[] }[],
	logSizes: LogSizeResult[],
	subtitle: string,
): string[] {
	mkdirSync(dir, { recursive: true });
	const med = (samples: Sample[], pick: (s: Sample) => number | undefined) =>
		median(samples.map((s) => pick(s) ?? Number.NaN).filter(Number.isFinite));
	const written: string[] = [];
	const write = (name: string, svg: string) => {
		const path = join(dir, name);
		writeFileSync(path, svg);
		written.push(path);
	};
	if (sweep.length > 0) {
		write(
			"latency-vs-connections.svg",
			lineChart({
				title: `Intake latency against connections (Knack 0 ms${subtitle})`,
				xLabel: "wrk connections",
				yLabel: "latency, ms (median of runs)",
				categories: sweep.map((p) => String(p.connections)),
				series: [
					{ name: "p50", values: sweep.map((p) => med(p.samples, (s) => s.p50Ms)) },
					{ name: "p99", values: sweep.map((p) => med(p.samples, (s) => s.p99Ms)) },
				],
			}),
		);
	}
	if (logSizes.length > 0) {
		write(
			"throughput-vs-log-size.svg",
			lineChart({
				title: `Intake throughput against the log's size (64 conn${subtitle})`,
				xLabel: "events already in the log",
				yLabel: "postbacks/s (median of runs)",
				categories: logSizes.map((r) => whole(r.events)),
				series: [{ name: "postbacks/s", values: logSizes.map((r) => med(r.load, (s) => s.perSecond)) }],
			}),
		);
	}
	return written;
}
