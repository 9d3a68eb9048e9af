import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { postback } from "../../test/support/payloads.ts";
import { repoRoot } from "./processes.ts";

/** wrk, driven by bench/postback.lua, and the postback body it sends. */
export const wrkInstallHint =
	"wrk is not installed: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk (macOS)";

export function wrkAvailable(): boolean {
	return Bun.which("wrk") !== null;
}

/** The records of the sandbox's seed that a successful over-the-street payment updates. */
const knackRecords = { transaction: "638e5bd41370e500241c3e1f", overTheStreet: "638e5c0a1370e500241c3f01" };

/** A successful OTS postback body for CityBase id `id`: message insert, reservation update, transaction update. */
export function postbackBody(id: number | string): string {
	const sentinel = 987_654_321_987;
	const json = JSON.stringify(
		postback({
			id: sentinel,
			status: "successful",
			invoice: "INV2025-BENCH",
			bannerType: "OVER_THE_STREET",
			knackRecordId: knackRecords.transaction,
			parentRecordId: knackRecords.overTheStreet,
		}),
	);
	return json.replace(String(sentinel), String(id));
}

export function writeBodyTemplate(dir: string): string {
	const path = join(dir, "postback.json");
	writeFileSync(path, postbackBody("__ID__"));
	return path;
}

export interface WrkResult {
	requests: number;
	perSecond: number;
	p50Ms: number;
	p99Ms: number;
	non2xx: number;
	socketErrors: number;
}

export async function runWrk(options: {
	url: string;
	connections: number;
	seconds: number;
	bodyFile: string;
	idBase: number;
}): Promise<WrkResult> {
	const proc = Bun.spawn(
		[
			"wrk",
			// One thread: wrk shares two cores with the service and the sandbox, and one is far faster than either.
			"-t1",
			`-c${options.connections}`,
			`-d${options.seconds}s`,
			"--timeout",
			"30s",
			"-s",
			join(repoRoot, "bench", "postback.lua"),
			`${options.url}/citybase_postback`,
		],
		{
			env: {
				PATH: process.env.PATH ?? "/usr/bin:/bin",
				BENCH_BODY_FILE: options.bodyFile,
				BENCH_ID_BASE: String(options.idBase),
			},
			stdout: "pipe",
			stderr: "pipe",
		},
	);
	const [out, err, code] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	]);
	const line = out.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
	if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err.trim() || out.trim()}`);
	const r = JSON.parse(line.slice("BENCH_RESULT ".length)) as {
		requests: number;
		duration_us: number;
		p50_us: number;
		p99_us: number;
		non2xx: number;
		socket_errors: number;
	};
	return {
		requests: r.requests,
		perSecond: r.requests / (r.duration_us / 1e6),
		p50Ms: r.p50_us / 1000,
		p99Ms: r.p99_us / 1000,
		non2xx: r.non2xx,
		socketErrors: r.socket_errors,
	};
}
