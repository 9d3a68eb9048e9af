import { type Keyring, parseKeyring } from "../../src/events/bodyKeys.ts";

/** Keys for EVENT_LOG_KEYS made of fixed bytes, as `openssl rand -base64 32` prints one. */
export function keySecret(fill: number): string {
	return Buffer.alloc(32, fill).toString("base64");
}

/** `id:secret` entries, e.g. `keysValue(["kb", 2], ["ka", 1])`, the first the current key. */
export function keysValue(...keys: [id: string, fill: number][]): string {
	return keys.map(([id, fill]) => `${id}:${keySecret(fill)}`).join(",");
}

export function keyring(...keys: [id: string, fill: number][]): Keyring {
	const parsed = parseKeyring(keysValue(...keys));
	if (!parsed.ok) throw new Error(parsed.problem);
	return parsed.keyring;
}
