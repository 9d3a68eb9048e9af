/**
 * The keys that protect delivery bodies at rest, as EVENT_LOG_KEYS lists them:
 * comma-separated `keyid:base64` entries of 32-byte AES-256 keys. The first encrypts new
 * bodies; every listed key still decrypts what it encrypted, so rotating is putting a new
 * key in front, and retiring a key (crypto-shredding) is removing it.
 */

export const KEY_BYTES = 32;

/** Key ids are written into every envelope and printed by `cli keys`, so they stay short and plain. */
const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface BodyKey {
	readonly id: string;
	readonly secret: Uint8Array<ArrayBuffer>;
	/** the base64 text as configured, so the logger can mask it wherever it appears */
	readonly base64: string;
}

/** Never empty: no keyring at all is how "bodies in clear" is said. */
export interface Keyring {
	readonly keys: readonly [BodyKey, ...BodyKey[]];
}

export type KeyringParse = { ok: true; keyring: Keyring } | { ok: false; problem: string };

/**
 * Parses the variable's value. A problem names the entry by position and key id, never
 * the key material, since it ends up in a start-up error line.
 */
export function parseKeyring(value: string): KeyringParse {
	const entries = value
		.split(",")
		.map((e) => e.trim())
		.filter(Boolean);
	const keys: BodyKey[] = [];
	for (const [index, entry] of entries.entries()) {
		const which = `entry ${index + 1}`;
		const colon = entry.indexOf(":");
		if (colon < 0) return problem(`${which} must be keyid:base64`);
		const id = entry.slice(0, colon).trim();
		const base64 = entry.slice(colon + 1).trim();
		if (!keyIdPattern.test(id)) {
			return problem(`${which}: a key id is 1 to 32 of the characters A-Z a-z 0-9 _ -`);
		}
		if (keys.some((k) => k.id === id)) return problem(`key id ${id} is listed twice`);
		if (base64 === "" || !base64Pattern.test(base64)) return problem(`key ${id} is not valid base64`);
		const secret = new Uint8Array(Buffer.from(base64, "base64"));
		if (secret.length !== KEY_BYTES) {
			return problem(`key ${id} is ${secret.length} bytes; it must be ${KEY_BYTES} (openssl rand -base64 32)`);
		}
		keys.push({ id, secret, base64 });
	}
	const [first, ...rest] = keys;
	if (!first) return problem("lists no key");
	return { ok: true, keyring: { keys: [first, ...rest] } };
}

function problem(text: string): KeyringParse {
	return { ok: false, problem: text };
}

export function findKey(keyring: Keyring, id: string): BodyKey | undefined {
	return keyring.keys.find((k) => k.id === id);
}
