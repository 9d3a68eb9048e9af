import type { KnackAppName } from "./events/payload.ts";
import type { KnackCredentials } from "./projections/knack/client.ts";

/**
 * The made-up credentials the Knack sandbox accepts unless told otherwise. A leaf of
 * its own because the CLI uses them too (in development, when KNACK_API_URL names a
 * sandbox), and no production path may import the sandbox itself.
 */
export const sandboxCredentials: Record<KnackAppName, KnackCredentials> = {
	STREET_BANNER: { appId: "sandbox-street-banner", apiKey: "sandbox-street-banner-key" },
	SMART_MOBILITY: { appId: "sandbox-smart-mobility", apiKey: "sandbox-smart-mobility-key" },
};
