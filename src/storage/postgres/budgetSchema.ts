import { bigserial, doublePrecision, index, integer, pgTable, text } from "drizzle-orm/pg-core";

/**
 * The Knack budget shared by every instance on this database, the same columns as the
 * SQLite adapter's: coordination state, not history. Grants older than a minute are
 * pruned; the quota row holds Knack's last headers per app. Times are double precision,
 * as SQLite's `real`: the budget's clock need not be whole milliseconds.
 */
export const knackGrants = pgTable(
	"knack_grants",
	{
		id: bigserial("id", { mode: "number" }).primaryKey(),
		app: text("app").notNull(),
		priority: text("priority").notNull(),
		at: doublePrecision("at").notNull(),
	},
	(t) => [index("knack_grants_app_at").on(t.app, t.at)],
);

export const knackQuota = pgTable("knack_quota", {
	app: text("app").primaryKey(),
	planLimit: integer("plan_limit"),
	planRemaining: integer("plan_remaining"),
	planResetAt: doublePrecision("plan_reset_at"),
	rateLimit: integer("rate_limit"),
	rateRemaining: integer("rate_remaining"),
	rateResetAt: doublePrecision("rate_reset_at"),
	seenAt: doublePrecision("seen_at").notNull(),
	grantedSince: integer("granted_since").notNull(),
});
