import type { CliIo } from "./io.ts";
import { duration } from "./output.ts";

/**
 * Progress on stderr: a redrawn bar (count, rate, ETA) at a terminal; otherwise a
 * plain line now and then, for logs. Never on stdout, which belongs to the results.
 */
export interface Progress {
	tick(n?: number): void;
	/** a message that must not be overdrawn by the bar */
	note(line: string): void;
	/** `complete`: everything counted to was gone through, whatever the ticks added up to */
	done(complete: boolean): void;
}

export function createProgress(
	io: CliIo,
	label: string,
	total: number,
	unit: string,
	clock: () => number = performance.now.bind(performance),
): Progress {
	const started = clock();
	let count = 0;
	// A terminal shows the bar at once; a log gets a line only for runs long enough to need one.
	let drawnAt = io.isTTY ? Number.NEGATIVE_INFINITY : started;
	const interval = io.isTTY ? 100 : 10_000;

	const figures = () => {
		const elapsed = clock() - started;
		const rate = elapsed > 0 ? (count / elapsed) * 1000 : 0;
		const eta = rate > 0 && total > count ? duration(((total - count) / rate) * 1000) : "-";
		return { elapsed, rate, eta };
	};
	const draw = () => {
		const { rate, eta } = figures();
		const share = total > 0 ? Math.min(1, count / total) : 1;
		if (io.isTTY) {
			const filled = Math.round(share * 24);
			io.stderr.write(
				`\r\x1b[2K${label} [${"#".repeat(filled)}${"-".repeat(24 - filled)}] ${count}/${total} ${unit} ${Math.round(share * 100)}% ${rate.toFixed(1)}/s ETA ${eta}`,
			);
		} else {
			io.stderr.write(
				`${label}: ${count}/${total} ${unit} (${Math.round(share * 100)}%), ${rate.toFixed(1)}/s, ETA ${eta}\n`,
			);
		}
		drawnAt = clock();
	};

	return {
		tick(n = 1) {
			count += n;
			if (clock() - drawnAt >= interval) draw();
		},
		note(line) {
			io.stderr.write(io.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
			if (io.isTTY) draw();
		},
		done(complete) {
			if (complete) count = Math.max(count, total);
			const { elapsed, rate } = figures();
			io.stderr.write(
				`${io.isTTY ? "\r\x1b[2K" : ""}${label}: ${count}/${total} ${unit} in ${duration(elapsed)} (${rate.toFixed(1)}/s)\n`,
			);
		},
	};
}
