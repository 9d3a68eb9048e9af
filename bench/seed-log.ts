/**
 * `bun bench/seed-log.ts N [--database PATH]`: writes a log of N realistic events (see
 * bench/lib/seedLog.ts) into a new store, PostgreSQL when DATABASE_URL is set (as the
 * service picks it), else the SQLite file at PATH (default DATABASE_PATH). With
 * EVENT_LOG_KEYS set the bodies are sealed as they are imported, as the service's would be.
 */
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { bodyProtection } from "../src/events/bodyCipher.ts";
import { parseKeyring } from "../src/events/bodyKeys.ts";
import { openStorage, type StorageConfig } from "../src/storage/open.ts";
import { seedStore } from "./lib/seedLog.ts";
import { whole } from "./lib/stats.ts";

const { values, positionals } = parseArgs({
	options: { database: { type: "string" } },
	allowPositionals: true,
});
const target = Number(positionals[0]);
const databasePath = values.database ?? process.env.DATABASE_PATH;
if (!Number.isInteger(target) || target < 1 || !databasePath) {
	console.error(
		"usage: bun bench/seed-log.ts N [--database PATH]   (N events; PATH or DATABASE_PATH, or DATABASE_URL)",
	);
	process.exit(2);
}
const keys = process.env.EVENT_LOG_KEYS ? parseKeyring(process.env.EVENT_LOG_KEYS) : null;
if (keys && !keys.ok) throw new Error(`EVENT_LOG_KEYS: ${keys.problem}`);
const config: StorageConfig = {
	databasePath,
	databaseUrl: process.env.DATABASE_URL || null,
	eventLogKeys: keys?.keyring ?? null,
};

const seeded = await seedStore(config, target);
const sealed = await firstBodySealed(config);
if (sealed !== Boolean(config.eventLogKeys)) {
	throw new Error(
		`EVENT_LOG_KEYS is ${config.eventLogKeys ? "set" : "unset"} but the first body is ${sealed ? "sealed" : "in clear"}`,
	);
}
console.log(
	`wrote ${whole(seeded.events)} events in ${seeded.seedSeconds.toFixed(1)} s (${whole(seeded.events / seeded.seedSeconds)}/s), read model folded in ${seeded.foldSeconds.toFixed(1)} s`,
);
console.log(
	`${whole(seeded.deliveries)} deliveries of ${whole(seeded.payments)} payments, ${whole(seeded.duplicates)} duplicates, ${whole(seeded.pending)} pending; bodies ${sealed ? "sealed" : "in clear"}`,
);
for (const [type, n] of [...seeded.byType].sort((a, b) => b[1] - a[1]))
	console.log(`  ${type.padEnd(24)} ${whole(n).padStart(10)}`);
console.log(
	config.databaseUrl
		? `into ${config.databaseUrl.replace(/:[^:@/]*@/, ":***@")}`
		: `into ${databasePath}: ${fileMiB(databasePath)} MiB`,
);

/** Whether the store kept the first delivery's body sealed: the importer seals clear bodies when it has keys. */
async function firstBodySealed(store: StorageConfig): Promise<boolean> {
	const storage = await openStorage(store);
	try {
		for await (const event of storage.transfer.events({ pageSize: 1 })) {
			return event.body !== null && bodyProtection(event.body).state === "encrypted";
		}
		return false;
	} finally {
		await storage.close();
	}
}

function fileMiB(path: string): string {
	const size = (p: string) => {
		try {
			return statSync(p).size;
		} catch {
			return 0;
		}
	};
	return ((size(path) + size(`${path}-wal`)) / 1024 / 1024).toFixed(0);
}
