import type { Config } from "../../config.ts";
import type { KnackAppName } from "../../events/payload.ts";
import { createKnackClient, type KnackClient, type KnackClientOptions, type KnackCredentials } from "./client.ts";
import { createRateLimiter } from "./rateLimiter.ts";

/**
 * The one way a process builds its Knack client: the configured endpoint, timeout and
 * per-app rate limit, with every call reported to `onCall` (metrics). The service and
 * the CLI both come through here, so they cannot drift apart.
 */
export interface KnackFactoryOptions {
	/** the credentials to use; `config.knack.credentials` unless a sandbox stands in */
	credentials: Record<KnackAppName, KnackCredentials>;
	/** another endpoint than `config.knack.apiUrl` (the embedded development sandbox) */
	apiUrl?: string;
	onCall?: KnackClientOptions["onCall"];
}

export function knackClientFor(knack: Config["knack"], options: KnackFactoryOptions): KnackClient {
	return createKnackClient({
		apiUrl: options.apiUrl ?? knack.apiUrl,
		credentials: options.credentials,
		timeoutMs: knack.timeoutMs,
		limiter: createRateLimiter(knack.rateLimitPerSecond),
		onCall: options.onCall,
	});
}
