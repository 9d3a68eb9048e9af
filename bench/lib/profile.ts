import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Sandbox, ServiceSettings } from "./stack.ts";
import { startService } from "./stack.ts";
import { markdownTable } from "./stats.ts";
import { runWrk } from "./wrk.ts";

/**
 * `--profile`: the intake load against a service run under `bun --cpu-prof`, then the
 * profile read back: where the service's thread spends its time, by function and by
 * area. The sampler stops the thread wherever it is, so time blocked in a syscall
 * (the fsync of a COMMIT) counts against the function that made it, as it should here.
 */
interface CallFrame {
	functionName: string;
	url: string;
	lineNumber: number;
}
interface CpuProfile {
	nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
	samples: number[];
	timeDeltas: number[];
}

/** A gap this long between samples is the thread idle (waiting for wrk to start, or for I/O), not work. */
const idleGapUs = 20_000;

const sqliteCalls = new Set(["run", "get", "all", "values", "prepare"]);

/** The area a stack belongs to, judged from its leaf up: the first frame that names one wins. */
function areaOf(stack: CallFrame[]): string {
	if (stack.some((f) => f.functionName === "(module)" || f.functionName.endsWith("require"))) {
		return "start-up (module loading, route compilation)";
	}
	const [leaf, parent] = stack;
	if (leaf?.url === "" || leaf?.url === "[native code]") {
		// Which of the service's functions ran the statement tells which transaction or query it was.
		const caller = stack.find((f) => f.url.includes("/src/") && f.functionName !== "");
		const by = caller ? `${caller.functionName}, ${shortUrl(caller.url)}` : "?";
		if (leaf.functionName === "run" && parent?.functionName === "#runNoArgs") {
			return `SQLite BEGIN/COMMIT, fsync included (${by})`;
		}
		if (sqliteCalls.has(leaf.functionName) && /bun:sqlite|drizzle-orm/.test(parent?.url ?? "")) {
			return `SQLite statements (${by})`;
		}
		if (leaf.functionName === "parse" || leaf.functionName === "stringify") return "JSON.parse / JSON.stringify";
		if (leaf.functionName === "formatToParts" || leaf.functionName === "DateTimeFormat") {
			return "Intl date formatting (knackDate)";
		}
	}
	const areas: [RegExp, string][] = [
		[/^bun:sqlite/, "SQLite statements (bun:sqlite JS)"],
		[/node_modules\/drizzle-orm\//, "drizzle-orm (query building, row mapping)"],
		[/node_modules\/elysia\//, "Elysia"],
		[/node_modules\/ofetch\/|src\/projections\/knack\/client\.ts/, "Knack HTTP client (ofetch, fetch)"],
		[/node_modules\/prom-client\/|src\/metrics\.ts/, "metrics (prom-client)"],
		[/src\/logging\//, "logging (JSON lines to stdout)"],
		[/node_modules\/@sinclair\/typebox\/|src\/events\/payload\.ts/, "validation (TypeBox)"],
		[/\/src\//, "service code (src/)"],
		[/^node:|^internal:/, "Bun runtime (node: modules)"],
	];
	for (const frame of stack) {
		for (const [pattern, area] of areas) if (pattern.test(frame.url)) return area;
	}
	return "other (runtime builtins, GC)";
}

function shortUrl(url: string): string {
	return url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules|src)\//, "$1/");
}

function summarise(profile: CpuProfile, top = 15): string {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const parentOf = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
	const stackOf = (id: number): CallFrame[] => {
		const stack: CallFrame[] = [];
		for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
			const node = byId.get(at);
			if (node) stack.push(node.callFrame);
		}
		return stack;
	};

	const self = new Map<string, number>();
	const areas = new Map<string, number>();
	// Library and native time charged to the service function nearest the leaf: which of ours asked for it.
	const callers = new Map<string, number>();
	let total = 0;
	let startUp = 0;
	profile.samples.forEach((id, i) => {
		const us = profile.timeDeltas[i] ?? 0;
		if (us > idleGapUs) return;
		const stack = stackOf(id);
		const area = areaOf(stack);
		if (area.startsWith("start-up")) {
			startUp += us;
			return;
		}
		const leaf = stack[0] as CallFrame;
		if (leaf.functionName === "(root)" || leaf.functionName === "(program)") return;
		total += us;
		const name = `${leaf.functionName || "(anonymous)"} ${leaf.url ? `${shortUrl(leaf.url)}:${leaf.lineNumber + 1}` : "[native]"}`;
		self.set(name, (self.get(name) ?? 0) + us);
		areas.set(area, (areas.get(area) ?? 0) + us);
		const caller = stack.find((f) => f.url.includes("/src/"));
		const by = caller
			? `${caller.functionName || "(anonymous)"} ${shortUrl(caller.url)}:${caller.lineNumber + 1}`
			: "(none of src/)";
		callers.set(by, (callers.get(by) ?? 0) + us);
	});
	const rows = (m: Map<string, number>, n: number) =>
		[...m]
			.sort((a, b) => b[1] - a[1])
			.slice(0, n)
			.map(([name, us]) => [name, `${(us / 1000).toFixed(0)} ms`, `${((us / total) * 100).toFixed(1)} %`]);
	return [
		`Sampled busy time under load: ${(total / 1e6).toFixed(2)} s (start-up excluded: ${(startUp / 1e6).toFixed(2)} s).`,
		"",
		markdownTable(["area", "time", "share"], rows(areas, 20)),
		"",
		markdownTable(["function (self time)", "time", "share"], rows(self, top)),
		"",
		markdownTable(["nearest service function (time spent in it and below)", "time", "share"], rows(callers, top)),
	].join("\n");
}

export async function profileIntake(o: {
	dir: string;
	sandbox: Sandbox;
	bodyFile: string;
	connections: number;
	seconds: number;
	settings: ServiceSettings;
}): Promise<void> {
	const profileDir = join(o.dir, "profile");
	const service = await startService(o.dir, o.sandbox.apiUrl, o.settings, [
		"--cpu-prof",
		`--cpu-prof-dir=${profileDir}`,
	]);
	let result: Awaited<ReturnType<typeof runWrk>>;
	try {
		result = await runWrk({
			url: service.url,
			connections: o.connections,
			seconds: o.seconds,
			bodyFile: o.bodyFile,
			idBase: 1,
		});
	} finally {
		// The profile is written when the process exits, which SIGTERM makes it do cleanly.
		await service.child.stop();
	}
	const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
	if (!file) throw new Error(`bun --cpu-prof wrote no profile in ${profileDir}`);
	const profile = (await Bun.file(join(profileDir, file)).json()) as CpuProfile;
	console.log(
		`Intake under bun --cpu-prof: ${o.connections} connections, ${o.seconds} s, Knack 0 ms: ${result.perSecond.toFixed(0)} postbacks/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms (the profiler slows it down).\n`,
	);
	console.log(summarise(profile));
}
