import { createCipheriv, randomBytes } from "node:crypto";
import { type BodyKey, findKey, type Keyring } from "./bodyKeys.ts";

/**
 * Encryption at rest of a delivery's body, in the event log's existing `body` column.
 *
 * Envelope (all of it stored as one BLOB):
 *
 *   magic       4 bytes  00 C0 43 42 ("\0", a byte no UTF-8 text holds, "CB")
 *   version     1 byte   01
 *   key id len  1 byte   1..32
 *   key id      ASCII    [A-Za-z0-9_-]
 *   nonce       12 bytes random, fresh for every body
 *   sealed      AES-256-GCM ciphertext followed by its 16-byte tag (Web Crypto's layout)
 *
 * The associated data is everything before the nonce followed by the event's position as
 * an 8-byte big-endian integer: a body cannot be moved to another event, nor relabelled
 * with another key id, without failing authentication.
 *
 * A body of an event written before encryption is plain bytes, told apart by the magic:
 * NUL then 0xC0 starts no JSON and no UTF-8 text. Only a deliberately non-text body posted
 * before encryption could start the same way; it would show as unreadable rather than as
 * its bytes, and lose nothing replay needs (a rejected delivery is never replayed).
 */

const MAGIC = Uint8Array.of(0x00, 0xc0, 0x43, 0x42);
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_FIXED = MAGIC.length + 2;
const MAX_KEY_ID_BYTES = 32;

export type OpenedBody =
	| { state: "plain"; bytes: Uint8Array }
	| { state: "decrypted"; keyId: string; bytes: Uint8Array }
	/** keyId is null only when the envelope itself is damaged and names no key */
	| { state: "unreadable"; keyId: string | null; reason: string };

/** What a stored body says about its protection without decrypting it (for `cli keys`). */
export type BodyProtection = { state: "plain" } | { state: "encrypted"; keyId: string } | { state: "damaged" };

/**
 * Synchronous on purpose: the store assigns the position inside a synchronous SQLite
 * transaction, where Web Crypto's promise cannot be awaited. node:crypto's GCM writes the
 * same bytes Web Crypto would, which the tests hold it to.
 */
export function encryptBodySync(keyring: Keyring, body: Uint8Array, position: number): Uint8Array {
	const key = keyring.keys[0];
	const header = envelopeHeader(key.id);
	const nonce = randomBytes(NONCE_BYTES);
	const cipher = createCipheriv("aes-256-gcm", key.secret, nonce, { authTagLength: TAG_BYTES });
	cipher.setAAD(associatedData(header, position));
	const sealed = [cipher.update(body), cipher.final(), cipher.getAuthTag()];
	return Buffer.concat([header, nonce, ...sealed]);
}

export async function decryptBody(keyring: Keyring | null, stored: Uint8Array, position: number): Promise<OpenedBody> {
	const envelope = readEnvelope(stored);
	if (envelope.state === "plain") return { state: "plain", bytes: stored };
	if (envelope.state === "damaged") return { state: "unreadable", keyId: null, reason: envelope.reason };
	const { keyId, headerLength } = envelope;
	const key = keyring ? findKey(keyring, keyId) : undefined;
	if (!key) return { state: "unreadable", keyId, reason: `key ${keyId} is not in EVENT_LOG_KEYS (retired)` };
	const params = {
		name: "AES-GCM",
		// copies, because Web Crypto takes only views of a plain ArrayBuffer
		iv: stored.slice(headerLength, headerLength + NONCE_BYTES),
		additionalData: associatedData(stored.subarray(0, headerLength), position),
		tagLength: TAG_BYTES * 8,
	};
	try {
		const bytes = await crypto.subtle.decrypt(
			params,
			await webCryptoKey(key),
			stored.slice(headerLength + NONCE_BYTES),
		);
		return { state: "decrypted", keyId, bytes: new Uint8Array(bytes) };
	} catch {
		// Web Crypto says only OperationError: wrong key material, wrong position or altered bytes.
		return {
			state: "unreadable",
			keyId,
			reason: `authentication failed with key ${keyId} (altered, moved from another event, or another key under the same id)`,
		};
	}
}

export function bodyProtection(stored: Uint8Array): BodyProtection {
	const envelope = readEnvelope(stored);
	if (envelope.state === "sealed") return { state: "encrypted", keyId: envelope.keyId };
	return envelope.state === "plain" ? { state: "plain" } : { state: "damaged" };
}

type Envelope =
	| { state: "plain" }
	| { state: "damaged"; reason: string }
	| { state: "sealed"; keyId: string; headerLength: number };

function readEnvelope(stored: Uint8Array): Envelope {
	if (stored.length < MAGIC.length || MAGIC.some((byte, i) => stored[i] !== byte)) return { state: "plain" };
	const version = stored[MAGIC.length];
	if (version !== VERSION) return { state: "damaged", reason: `unknown envelope version ${version ?? "(none)"}` };
	const idLength = stored[MAGIC.length + 1] ?? 0;
	const headerLength = HEADER_FIXED + idLength;
	if (idLength === 0 || idLength > MAX_KEY_ID_BYTES)
		return { state: "damaged", reason: "envelope names no valid key id" };
	if (stored.length < headerLength + NONCE_BYTES + TAG_BYTES) {
		return { state: "damaged", reason: "envelope is truncated" };
	}
	return {
		state: "sealed",
		keyId: new TextDecoder().decode(stored.subarray(HEADER_FIXED, headerLength)),
		headerLength,
	};
}

function envelopeHeader(keyId: string): Uint8Array {
	const id = new TextEncoder().encode(keyId);
	return Buffer.concat([MAGIC, Uint8Array.of(VERSION, id.length), id]);
}

function associatedData(header: Uint8Array, position: number): Uint8Array<ArrayBuffer> {
	if (!Number.isSafeInteger(position) || position < 0) {
		throw new RangeError(`event position must be a non-negative integer, not ${position}`);
	}
	const ad = new Uint8Array(header.length + 8);
	ad.set(header);
	new DataView(ad.buffer).setBigUint64(header.length, BigInt(position));
	return ad;
}

// Importing is async and costs more than decrypting one body; a key is imported once.
const imported = new WeakMap<BodyKey, Promise<CryptoKey>>();

function webCryptoKey(key: BodyKey): Promise<CryptoKey> {
	let cryptoKey = imported.get(key);
	if (!cryptoKey) {
		cryptoKey = crypto.subtle.importKey("raw", key.secret, "AES-GCM", false, ["decrypt"]);
		imported.set(key, cryptoKey);
	}
	return cryptoKey;
}
