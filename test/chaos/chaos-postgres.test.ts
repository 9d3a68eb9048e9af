import { test } from "bun:test";
import { skipWithoutPostgres } from "../support/postgres.ts";
import { expectChaosPass } from "./runChaos.ts";

/**
 * The CI version of the PostgreSQL chaos run: 120 postbacks over three servers on one
 * database. CI's shared cluster (TEST_DATABASE_URL) serves every other test too, so it
 * is not restarted; a cluster of the test's own is, once.
 * `bun bench/chaos.ts --store postgres --deliveries 500` is the full run.
 */
const skip = skipWithoutPostgres("the PostgreSQL chaos test");

test.skipIf(skip)(
	"120 postbacks through three servers sharing one PostgreSQL database, Knack failing at random and servers killed with -9, leave Knack exactly as the payments imply",
	() =>
		expectChaosPass([
			"--store",
			"postgres",
			"--store-restarts",
			process.env.TEST_DATABASE_URL ? "0" : "1",
			"--deliveries",
			"120",
			"--max-seconds",
			"45",
		]),
	90_000,
);
