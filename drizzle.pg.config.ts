import { defineConfig } from "drizzle-kit";

// The PostgreSQL adapter's migrations, kept apart from SQLite's. drizzle-kit only
// generates SQL here; the service applies it at start-up under an advisory lock
// (src/storage/migrations.ts).
export default defineConfig({
	dialect: "postgresql",
	schema: "./src/storage/postgres/schema.ts",
	out: "./drizzle/pg",
});
