import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The Knack budget shared by every process on this file: coordination state, not
 * history. Grants older than a minute are pruned; the quota row holds Knack's last
 * headers per app.
 */
export const knackGrants = sqliteTable(
	"knack_grants",
	{
		id: integer("id").primaryKey({ autoIncrement: true }),
		app: text("app").notNull(),
		priority: text("priority").notNull(),
		at: real("at").notNull(),
	},
	(t) => [index("knack_grants_app_at").on(t.app, t.at)],
);

export const knackQuota = sqliteTable("knack_quota", {
	app: text("app").primaryKey(),
	planLimit: integer("plan_limit"),
	planRemaining: integer("plan_remaining"),
	planResetAt: real("plan_reset_at"),
	rateLimit: integer("rate_limit"),
	rateRemaining: integer("rate_remaining"),
	rateResetAt: real("rate_reset_at"),
	seenAt: real("seen_at").notNull(),
	grantedSince: integer("granted_since").notNull(),
});
