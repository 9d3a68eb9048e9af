import { test } from "bun:test";
import { expectChaosPass } from "./runChaos.ts";

/**
 * The CI version of the chaos test (issue 3): 120 postbacks instead of 500, same
 * chaos. `bun bench/chaos.ts --deliveries 500` is the full run.
 */
test(
	"120 postbacks through two servers sharing one database, Knack failing at random and servers killed with -9, leave Knack exactly as the payments imply",
	() => expectChaosPass(["--deliveries", "120", "--max-seconds", "45"]),
	90_000,
);
