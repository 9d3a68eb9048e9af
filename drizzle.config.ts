import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here (it cannot open bun:sqlite); the service applies
// the migrations itself at start-up with drizzle-orm's bun-sqlite migrator.
export default defineConfig({
	dialect: "sqlite",
	schema: ["./src/events/schema.ts", "./src/projections/schema.ts"],
	out: "./drizzle",
});
