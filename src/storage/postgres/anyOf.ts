import { sql } from "drizzle-orm";
import type { events } from "./schema.ts";

/**
 * `column = any($1)` with the ids as one int8[] parameter, however many: no cap on bound
 * parameters to slice around. The array goes as its text literal, cast in SQL, so the
 * driver needs no array types (database.ts: `fetch_types: false`).
 */
export const anyOf = (
	column: typeof events.seq | typeof events.deliverySeq | typeof events.citybaseId,
	ids: number[],
) => sql`${column} = any(${`{${ids.join(",")}}`}::int8[])`;
