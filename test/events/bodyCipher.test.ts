import { describe, expect, test } from "bun:test";
import { createDecipheriv } from "node:crypto";
import { bodyProtection, decryptBody, encryptBodySync } from "../../src/events/bodyCipher.ts";
import { type Keyring, parseKeyring } from "../../src/events/bodyKeys.ts";

function keyring(value: string): Keyring {
	const parsed = parseKeyring(value);
	if (!parsed.ok) throw new Error(parsed.problem);
	return parsed.keyring;
}

const secretA = Buffer.alloc(32, 0xa1).toString("base64");
const secretB = Buffer.alloc(32, 0xb2).toString("base64");
const onlyA = keyring(`ka:${secretA}`);
const rotated = keyring(`kb:${secretB},ka:${secretA}`);
const onlyB = keyring(`kb:${secretB}`);

const body = new TextEncoder().encode(
	await Bun.file(`${import.meta.dir}/../fixtures/street-banner-lamppost-refunded.json`).text(),
);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * The envelope, spelled out independently of the module: it is stored data, so a change
 * to its layout must show up here rather than in a log that no longer opens.
 */
function split(stored: Uint8Array) {
	const idLength = stored[5] as number;
	const header = stored.subarray(0, 6 + idLength);
	const ad = new Uint8Array(header.length + 8);
	ad.set(header);
	return {
		magic: [...stored.subarray(0, 4)],
		version: stored[4],
		keyId: text(stored.subarray(6, 6 + idLength)),
		nonce: stored.slice(6 + idLength, 18 + idLength),
		sealed: stored.slice(18 + idLength),
		ad: (position: number) => {
			new DataView(ad.buffer).setBigUint64(header.length, BigInt(position));
			return ad;
		},
	};
}

const secretBytes = (base64: string) => new Uint8Array(Buffer.from(base64, "base64"));

describe("delivery body envelope", () => {
	test("layout: magic, version, key id, 12-byte nonce, ciphertext and 16-byte tag", () => {
		const stored = encryptBodySync(onlyA, body, 5);
		const e = split(stored);
		expect(e.magic).toEqual([0x00, 0xc0, 0x43, 0x42]);
		expect(e.version).toBe(1);
		expect(e.keyId).toBe("ka");
		expect(e.sealed.length).toBe(body.length + 16);
		expect(text(stored)).not.toContain("credit_card");
	});

	test("every body gets a fresh nonce", () => {
		const nonces = new Set(
			Array.from({ length: 50 }, () => Buffer.from(split(encryptBodySync(onlyA, body, 5)).nonce).toString("hex")),
		);
		expect(nonces.size).toBe(50);
	});

	test("node:crypto writes exactly what Web Crypto writes for the same nonce", async () => {
		const stored = encryptBodySync(onlyA, body, 42);
		const e = split(stored);
		const key = await crypto.subtle.importKey("raw", secretBytes(secretA), "AES-GCM", false, ["encrypt"]);
		const webSealed = await crypto.subtle.encrypt(
			{ name: "AES-GCM", iv: e.nonce, additionalData: e.ad(42) },
			key,
			body,
		);
		expect(Buffer.from(webSealed).equals(Buffer.from(e.sealed))).toBe(true);
	});

	test("a body sealed by Web Crypto opens; one sealed by node:crypto opens with node:crypto", async () => {
		const template = split(encryptBodySync(onlyA, new Uint8Array(), 9));
		const nonce = crypto.getRandomValues(new Uint8Array(12));
		const key = await crypto.subtle.importKey("raw", secretBytes(secretA), "AES-GCM", false, ["encrypt"]);
		const webSealed = new Uint8Array(
			await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: template.ad(9) }, key, body),
		);
		const header = Uint8Array.of(0x00, 0xc0, 0x43, 0x42, 1, 2, ...new TextEncoder().encode("ka"));
		const stored = Buffer.concat([header, nonce, webSealed]);
		expect(await decryptBody(onlyA, stored, 9)).toEqual({ state: "decrypted", keyId: "ka", bytes: body });

		const e = split(encryptBodySync(onlyA, body, 9));
		const decipher = createDecipheriv("aes-256-gcm", secretBytes(secretA), e.nonce);
		decipher.setAAD(e.ad(9));
		decipher.setAuthTag(e.sealed.subarray(-16));
		const opened = Buffer.concat([decipher.update(e.sealed.subarray(0, -16)), decipher.final()]);
		expect(opened.equals(Buffer.from(body))).toBe(true);
	});

	test("an empty body round-trips", async () => {
		const opened = await decryptBody(onlyA, encryptBodySync(onlyA, new Uint8Array(), 1), 1);
		expect(opened).toEqual({ state: "decrypted", keyId: "ka", bytes: new Uint8Array() });
	});

	test("a body of an event written before encryption reads as plain", async () => {
		expect(await decryptBody(onlyA, body, 3)).toEqual({ state: "plain", bytes: body });
		expect(await decryptBody(null, body, 3)).toEqual({ state: "plain", bytes: body });
		const notJson = new TextEncoder().encode("\u0000garbage that is not a payment");
		expect(await decryptBody(onlyA, notJson, 3)).toEqual({ state: "plain", bytes: notJson });
	});
});

describe("rotation and retirement", () => {
	test("new bodies use the first key; a body under an older listed key still opens", async () => {
		const old = encryptBodySync(onlyA, body, 7);
		const fresh = encryptBodySync(rotated, body, 8);
		expect(split(fresh).keyId).toBe("kb");
		expect(await decryptBody(rotated, old, 7)).toEqual({ state: "decrypted", keyId: "ka", bytes: body });
		expect(await decryptBody(rotated, fresh, 8)).toEqual({ state: "decrypted", keyId: "kb", bytes: body });
	});

	test("a body under a retired key is unreadable and names the key", async () => {
		const old = encryptBodySync(onlyA, body, 7);
		const opened = await decryptBody(onlyB, old, 7);
		expect(opened).toMatchObject({ state: "unreadable", keyId: "ka" });
		expect(opened.state === "unreadable" && opened.reason).toContain("ka is not in EVENT_LOG_KEYS");
		expect(await decryptBody(null, old, 7)).toMatchObject({ state: "unreadable", keyId: "ka" });
	});

	test("other key material under the same id fails authentication, it does not open garbage", async () => {
		const impostor = keyring(`ka:${secretB}`);
		const opened = await decryptBody(impostor, encryptBodySync(onlyA, body, 7), 7);
		expect(opened).toMatchObject({ state: "unreadable", keyId: "ka" });
		expect(opened.state === "unreadable" && opened.reason).toContain("authentication failed");
	});
});

describe("authentication", () => {
	test("a body for position 5 cannot be moved to position 6", async () => {
		const stored = encryptBodySync(onlyA, body, 5);
		expect((await decryptBody(onlyA, stored, 5)).state).toBe("decrypted");
		expect(await decryptBody(onlyA, stored, 6)).toMatchObject({ state: "unreadable", keyId: "ka" });
	});

	test("flipping any one bit of nonce, ciphertext or tag fails", async () => {
		const stored = encryptBodySync(onlyA, body, 5);
		const start = 6 + 2;
		for (const index of [start, start + 11, start + 12, start + 100, stored.length - 17, stored.length - 1]) {
			const altered = stored.slice();
			altered[index] = (altered[index] as number) ^ 0x01;
			expect(await decryptBody(onlyA, altered, 5)).toMatchObject({ state: "unreadable", keyId: "ka" });
		}
	});

	test("relabelling a body with another listed key id fails", async () => {
		const stored = encryptBodySync(keyring(`k1:${secretA}`), body, 5);
		const relabelled = stored.slice();
		relabelled[7] = "2".charCodeAt(0);
		const both = keyring(`k1:${secretA},k2:${secretA}`);
		expect(await decryptBody(both, relabelled, 5)).toMatchObject({ state: "unreadable", keyId: "k2" });
	});

	test("a damaged envelope is unreadable, not plain", async () => {
		const stored = encryptBodySync(onlyA, body, 5);
		const truncated = stored.subarray(0, 6 + 2 + 12 + 15);
		expect(await decryptBody(onlyA, truncated, 5)).toEqual({
			state: "unreadable",
			keyId: null,
			reason: "envelope is truncated",
		});
		const future = stored.slice();
		future[4] = 2;
		expect(await decryptBody(onlyA, future, 5)).toMatchObject({ state: "unreadable", keyId: null });
		expect(bodyProtection(future)).toEqual({ state: "damaged" });
	});

	test("a position that is not a non-negative integer is a bug, not an unreadable body", async () => {
		expect(() => encryptBodySync(onlyA, body, -1)).toThrow(RangeError);
		expect(() => encryptBodySync(onlyA, body, 1.5)).toThrow(RangeError);
		await expect(decryptBody(onlyA, encryptBodySync(onlyA, body, 1), Number.NaN)).rejects.toThrow(RangeError);
	});
});

test("bodyProtection says plain or which key without decrypting", () => {
	expect(bodyProtection(body)).toEqual({ state: "plain" });
	expect(bodyProtection(encryptBodySync(rotated, body, 1))).toEqual({ state: "encrypted", keyId: "kb" });
});
