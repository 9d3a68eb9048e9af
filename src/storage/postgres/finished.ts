import { inArray } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { finishingTypes } from "../../events/types.ts";
import { events } from "./schema.ts";

/** `finishingTypes` in SQL, written once for every query of this adapter that needs it. */
export const isFinishing = inArray(events.type, [...finishingTypes]);

/** The deliveries that are finished: a subquery of their positions. */
export function finishedDeliveries(db: PostgresJsDatabase) {
	return db.select({ seq: events.deliverySeq }).from(events).where(isFinishing);
}
