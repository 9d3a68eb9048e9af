/**
 * What a newcomer gets without configuring anything: made-up credentials for the two
 * Knack apps, their connection fields, and records that make the example postbacks in
 * test/fixtures/ work end to end.
 *
 * One sandbox app stands for both the UAT and the PRODUCTION Knack app, so the fixtures
 * fill both field maps where they do not collide. Where they do, the field that is read
 * wins: `field_3333` holds the PRODUCTION `type` (the UAT refund invoice id is only
 * written), `field_3327` the UAT OTS connection (the PRODUCTION refund invoice id is only
 * written), `field_3352` the UAT status. `field_2787` and `field_2851` (the reservations'
 * display numbers) are invented: docs/design.md §4 names no identifier fields.
 */

import type { KnackAppName } from "../events/payload.ts";
import type { FieldMapName } from "../projections/knack/fieldMaps.ts";
import { sandboxCredentials } from "../sandboxCredentials.ts";
import smartMobility from "./fixtures/smart-mobility.json";
import streetBanner from "./fixtures/street-banner.json";
import type { SandboxAppCredentials, SandboxOptions } from "./knack.ts";
import type { ConnectionField, ConnectionSchema, SandboxSeed, StoredRecord } from "./records.ts";

const fixtures: Record<KnackAppName, Record<string, StoredRecord[]>> = {
	STREET_BANNER: streetBanner,
	SMART_MOBILITY: smartMobility,
};

const lpb: ConnectionField = { object: "object_161", identifierField: "field_2787" };
const ots: ConnectionField = { object: "object_164", identifierField: "field_2851" };

const transactionConnections: Record<FieldMapName, Record<string, ConnectionField>> = {
	UAT: { field_3326: lpb, field_3327: ots },
	PRODUCTION: { field_3328: lpb, field_3329: ots },
};

/**
 * The Street Banner transaction connections of one field map. Without a map, those of
 * both except `field_3327`, which the PRODUCTION map writes an invoice id into: that
 * default serves a service running with either map.
 */
export function connectionSchema(fieldMap?: FieldMapName): ConnectionSchema {
	if (fieldMap !== undefined) return { object_180: transactionConnections[fieldMap] };
	const { field_3327: _collides, ...uat } = transactionConnections.UAT;
	return { object_180: { ...uat, ...transactionConnections.PRODUCTION } };
}

export function defaultSeed(
	credentials: Record<KnackAppName, SandboxAppCredentials> = sandboxCredentials,
): SandboxSeed {
	return {
		[credentials.STREET_BANNER.appId]: structuredClone(fixtures.STREET_BANNER),
		[credentials.SMART_MOBILITY.appId]: structuredClone(fixtures.SMART_MOBILITY),
	};
}

/** The default apps, fixtures and connections, with any option overridden. */
export function defaultSandboxOptions(
	overrides: Partial<SandboxOptions> & { fieldMap?: FieldMapName } = {},
): SandboxOptions {
	const { fieldMap, ...options } = overrides;
	return {
		apps: Object.values(sandboxCredentials),
		seed: defaultSeed(),
		connections: connectionSchema(fieldMap),
		...options,
	};
}
