import type { Subprocess } from "bun";
import { sandboxCredentials } from "../../src/sandboxCredentials.ts";

/** The service as a real process (`bun src/index.ts`), for tests of signals and restarts. */
export interface ServiceProcess {
	url: string;
	process: Subprocess<"ignore", "pipe", "pipe">;
	/** every stdout line so far (JSON logs) */
	lines: string[];
	exited: Promise<number>;
}

/** The environment of a service process pointed at a sandbox with its default credentials. */
export function serviceEnv(knackApiUrl: string, env: Record<string, string> = {}): Record<string, string> {
	return {
		PATH: process.env.PATH ?? "",
		CITYBASE_ENV: "development",
		HOST: "127.0.0.1",
		PORT: "0",
		KNACK_API_URL: knackApiUrl,
		KNACK_STREET_BANNER_APP_ID: sandboxCredentials.STREET_BANNER.appId,
		KNACK_STREET_BANNER_API_KEY: sandboxCredentials.STREET_BANNER.apiKey,
		KNACK_SMART_MOBILITY_APP_ID: sandboxCredentials.SMART_MOBILITY.appId,
		KNACK_SMART_MOBILITY_API_KEY: sandboxCredentials.SMART_MOBILITY.apiKey,
		// No balancer polls readiness here: stop at once unless a test asks for the drain.
		SHUTDOWN_DRAIN_SECONDS: "0",
		...env,
	};
}

export function spawnService(env: Record<string, string>, knackApiUrl: string): Promise<ServiceProcess> {
	return spawnListening([process.execPath, "src/index.ts"], serviceEnv(knackApiUrl, env), `${import.meta.dir}/../..`);
}

/**
 * Starts a command that logs "atd-citybase listening" with its url, and keeps reading
 * its stdout for as long as it runs (a closed pipe would kill it on its next log line).
 */
export async function spawnListening(
	command: string[],
	env: Record<string, string>,
	cwd: string,
): Promise<ServiceProcess> {
	const child = Bun.spawn(command, {
		cwd,
		env,
		stdin: "ignore",
		stdout: "pipe",
		stderr: "pipe",
	});
	const lines: string[] = [];
	let resolveUrl: (url: string) => void = () => {};
	const url = new Promise<string>((resolve) => {
		resolveUrl = resolve;
	});
	(async () => {
		const decoder = new TextDecoder();
		let buffered = "";
		for await (const chunk of child.stdout) {
			buffered += decoder.decode(chunk, { stream: true });
			const parts = buffered.split("\n");
			buffered = parts.pop() ?? "";
			for (const line of parts) {
				lines.push(line);
				if (line.includes('"atd-citybase listening"')) resolveUrl(JSON.parse(line).url);
			}
		}
	})();
	const started = await Promise.race([
		url,
		child.exited.then((code) => `exited ${code}`),
		Bun.sleep(15_000).then(() => "timeout"),
	]);
	if (!started.startsWith("http")) {
		child.kill("SIGKILL");
		throw new Error(`service did not start (${started}): ${await new Response(child.stderr).text()}`);
	}
	return { url: started, process: child, lines, exited: child.exited };
}
