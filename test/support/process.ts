import type { Subprocess } from "bun";
import { defaultCredentials } from "../../src/sandbox/defaults.ts";

/** The service as a real process (`bun src/index.ts`), for tests of signals and restarts. */
export interface ServiceProcess {
	url: string;
	process: Subprocess<"ignore", "pipe", "pipe">;
	/** every stdout line so far (JSON logs) */
	lines: string[];
	exited: Promise<number>;
}

export async function spawnService(env: Record<string, string>, knackApiUrl: string): Promise<ServiceProcess> {
	const child = Bun.spawn([process.execPath, "src/index.ts"], {
		cwd: `${import.meta.dir}/../..`,
		env: {
			PATH: process.env.PATH ?? "",
			CITYBASE_ENV: "development",
			HOST: "127.0.0.1",
			PORT: "0",
			KNACK_API_URL: knackApiUrl,
			KNACK_STREET_BANNER_APP_ID: defaultCredentials.STREET_BANNER.appId,
			KNACK_STREET_BANNER_API_KEY: defaultCredentials.STREET_BANNER.apiKey,
			KNACK_SMART_MOBILITY_APP_ID: defaultCredentials.SMART_MOBILITY.appId,
			KNACK_SMART_MOBILITY_API_KEY: defaultCredentials.SMART_MOBILITY.apiKey,
			...env,
		},
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
