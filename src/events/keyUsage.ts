import { bodyProtection } from "./bodyCipher.ts";
import type { Keyring } from "./bodyKeys.ts";
import type { StoredEvent } from "./types.ts";

/**
 * What `cli keys` reports: how many events each key protects, so an operator can see
 * what retiring a key would make unreadable. It reads envelopes' headers only, never
 * decrypts, so it also counts bodies under keys no longer listed.
 */

/** current: encrypts new bodies; listed: still decrypts; retired: not listed, its bodies are unreadable */
export type KeyStatus = "current" | "listed" | "retired";

export interface KeyCount {
	keyId: string;
	status: KeyStatus;
	events: number;
}

export interface KeyUsage {
	/** the listed keys in EVENT_LOG_KEYS order (unused ones with 0), then retired ones by id */
	keys: KeyCount[];
	/** bodies stored in clear: written before encryption, or with EVENT_LOG_ENCRYPTION=none */
	plain: number;
	/** bodies that start like an envelope but are not a readable one */
	damaged: number;
}

/** Takes the events as a stream, so that counting a whole log never holds its bodies at once. */
export async function keyUsage(
	keyring: Keyring | null,
	events: AsyncIterable<Pick<StoredEvent, "body">> | Iterable<Pick<StoredEvent, "body">>,
): Promise<KeyUsage> {
	const counts = new Map<string, number>();
	let plain = 0;
	let damaged = 0;
	for await (const { body } of events) {
		if (!body) continue;
		const protection = bodyProtection(body);
		if (protection.state === "plain") plain++;
		else if (protection.state === "damaged") damaged++;
		else counts.set(protection.keyId, (counts.get(protection.keyId) ?? 0) + 1);
	}
	const listed = (keyring?.keys ?? []).map(
		(key, index): KeyCount => ({
			keyId: key.id,
			status: index === 0 ? "current" : "listed",
			events: counts.get(key.id) ?? 0,
		}),
	);
	const retired = [...counts]
		.filter(([keyId]) => !listed.some((k) => k.keyId === keyId))
		.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
		.map(([keyId, events]): KeyCount => ({ keyId, status: "retired", events }));
	return { keys: [...listed, ...retired], plain, damaged };
}
