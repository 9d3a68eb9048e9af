/** The Knack sandbox the service starts for itself in development when it has no Knack credentials. */

import { sandboxCredentials } from "../sandboxCredentials.ts";
import { defaultSandboxOptions } from "./defaults.ts";
import { startKnackSandbox } from "./knack.ts";

export interface DevelopmentSandbox {
	/** KNACK_API_URL for the service. */
	url: string;
	/** Where the control endpoints (`/__sandbox/...`) live. */
	root: string;
	credentials: typeof sandboxCredentials;
	stop(): Promise<void>;
}

/**
 * Loopback by default: the sandbox accepts its made-up credentials and its control
 * endpoints (`/__sandbox/*`) ask none, so it is never reachable from elsewhere unless
 * KNACK_SANDBOX_HOST says so (the development container, which publishes its port).
 */
export function developmentSandbox(port: number, hostname = "127.0.0.1"): DevelopmentSandbox {
	// Development always runs with the UAT field map (docs/design.md §4).
	const sandbox = startKnackSandbox(defaultSandboxOptions({ port, hostname, fieldMap: "UAT" }));
	return {
		url: sandbox.url,
		root: new URL(sandbox.url).origin,
		credentials: sandboxCredentials,
		stop: () => sandbox.stop(),
	};
}
