import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here (it cannot open bun:sqlite); the service applies
// the migrations itself at start-up with drizzle-orm's bun-sqlite migrator.
export default defineConfig({
	dialect: "sqlite",
	schema: [
		"./src/storage/sqlite/schema.ts",
		"./src/storage/sqlite/readModelSchema.ts",
		"./src/storage/sqlite/budgetSchema.ts",
		"./src/storage/sqlite/sessionsSchema.ts",
	],
	out: "./drizzle",
});
