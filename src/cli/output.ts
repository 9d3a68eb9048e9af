import { chicagoParts } from "../austinTime.ts";
import type { Writer } from "./io.ts";

/**
 * Buffered stdout that respects a slow reader: lines are gathered into large chunks
 * and `drain()` waits when the pipe is full, so streaming a whole log keeps memory flat.
 */
export class Output {
	#buffer: string[] = [];
	#size = 0;
	#blocked: Promise<void> | null = null;

	constructor(private readonly writer: Writer) {}

	line(text = ""): void {
		this.#buffer.push(text, "\n");
		this.#size += text.length + 1;
		if (this.#size >= 64 * 1024) this.flush();
	}

	flush(): void {
		if (this.#size === 0) return;
		const chunk = this.#buffer.join("");
		this.#buffer = [];
		this.#size = 0;
		if (this.writer.write(chunk) === false && this.writer.once && !this.#blocked) {
			this.#blocked = new Promise((resolve) => this.writer.once?.("drain", resolve));
		}
	}

	async drain(): Promise<void> {
		this.flush();
		const blocked = this.#blocked;
		this.#blocked = null;
		if (blocked) await blocked;
	}
}

/** A JSON array written element by element, so a list of any length never sits in memory. */
export class JsonArray {
	#count = 0;

	constructor(private readonly out: Output) {}

	push(value: unknown): void {
		this.out.line(`${this.#count++ === 0 ? "[" : ","}${JSON.stringify(value)}`);
	}

	end(): void {
		this.out.line(this.#count === 0 ? "[]" : "]");
	}
}

export function printJson(out: Output, value: unknown): void {
	out.line(JSON.stringify(value, null, 2));
}

/** A plain-text table: columns padded to their widest cell, the last one left ragged. */
export function printTable(out: Output, headers: string[], rows: string[][]): void {
	const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
	const format = (cells: string[]) =>
		cells
			.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
			.join("  ")
			.trimEnd();
	out.line(format(headers));
	for (const row of rows) out.line(format(row));
}

/** Times in tables are Austin wall-clock time, as Knack shows them; JSON carries ISO UTC. */
export function localTime(epochMs: number): string {
	const p = chicagoParts(epochMs);
	return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

export function isoTime(epochMs: number): string {
	return new Date(epochMs).toISOString();
}

export function duration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)} ms`;
	const seconds = ms / 1000;
	if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
	const whole = Math.round(seconds);
	const h = Math.floor(whole / 3600);
	const m = Math.floor((whole % 3600) / 60);
	const s = whole % 60;
	return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s).padStart(2, "0")}s`;
}

/** `1 payment status`, `2 payment statuses`. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
	return `${n} ${n === 1 ? singular : plural}`;
}
