import type { Config } from "../../config.ts";
import type { KnackAppName } from "../../events/payload.ts";
import type { Logger } from "../../logging/logger.ts";
import type { KnackBudgetStore } from "../../storage/storage.ts";
import { createKnackClient, type KnackClient, type KnackClientOptions, type KnackCredentials } from "./client.ts";
import type { Quota } from "./quotaHeaders.ts";
import { shouldRecordQuota } from "./quotaRecording.ts";
import { createRateLimiter } from "./rateLimiter.ts";

/**
 * The one way a process builds its Knack client: the configured endpoint, timeout, the
 * budget shared through the store (rate cap, priorities, daily reserve), and the quota
 * headers of every answer written back to that budget. The service and the CLI both
 * come through here, so they cannot drift apart.
 */
export interface KnackFactoryOptions {
	/** the credentials to use; `config.knack.credentials` unless a sandbox stands in */
	credentials: Record<KnackAppName, KnackCredentials>;
	budget: KnackBudgetStore;
	logger: Logger;
	/** another endpoint than `config.knack.apiUrl` (the embedded development sandbox) */
	apiUrl?: string;
	onCall?: KnackClientOptions["onCall"];
	onQuota?: (app: string, quota: Quota) => void;
}

export function knackClientFor(knack: Config["knack"], options: KnackFactoryOptions): KnackClient {
	const policy = { perSecond: knack.rateLimitPerSecond, dailyReserve: knack.dailyReserve };
	const recorded = new Map<string, Quota>();
	return createKnackClient({
		apiUrl: options.apiUrl ?? knack.apiUrl,
		credentials: options.credentials,
		timeoutMs: knack.timeoutMs,
		limiter: createRateLimiter({ budget: options.budget, policy }),
		onCall: options.onCall,
		onQuota(app, quota) {
			options.onQuota?.(app, quota);
			if (!shouldRecordQuota(recorded.get(app), quota, policy)) return;
			recorded.set(app, quota);
			options.budget.recordQuota(app, quota).catch((error) => {
				// Advisory: the next answer brings the headers again.
				options.logger.warn("could not record Knack's quota headers", { app, error: (error as Error).message });
			});
		},
	});
}
