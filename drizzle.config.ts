import { defineConfig } from "drizzle-kit";

// drizzle-kit only generates SQL here (it cannot open bun:sqlite); the service applies
// the migrations itself at start-up (src/storage/migrations.ts).
export default defineConfig({
	dialect: "sqlite",
	schema: "./src/storage/sqlite/schema.ts",
	out: "./drizzle",
});
