import { describe, expect, test } from "bun:test";
import { parseKeyring } from "../../src/events/bodyKeys.ts";

/** Fixed bytes, so test names stay the same from run to run. */
const key = (fill: number, bytes = 32) => Buffer.alloc(bytes, fill).toString("base64");

describe("EVENT_LOG_KEYS parsing", () => {
	test("keyid:base64 entries, in order, the first one first", () => {
		const [a, b] = [key(1), key(2)];
		const parsed = parseKeyring(` k2025:${a} , k2024-old:${b},`);
		if (!parsed.ok) throw new Error(parsed.problem);
		expect(parsed.keyring.keys.map((k) => k.id)).toEqual(["k2025", "k2024-old"]);
		expect(Buffer.from(parsed.keyring.keys[0].secret).toString("base64")).toBe(a);
		expect(parsed.keyring.keys[1]?.base64).toBe(b);
	});

	const openssl = Bun.which("openssl");
	test.skipIf(!openssl)("the output of `openssl rand -base64 32` (env-template's advice) is accepted", () => {
		const run = Bun.spawnSync([openssl as string, "rand", "-base64", "32"]);
		expect(parseKeyring(`a:${run.stdout.toString().trim()}`).ok).toBe(true);
	});

	const secret = key(7);
	for (const [value, message] of [
		["", "lists no key"],
		[" , ", "lists no key"],
		[secret, "entry 1 must be keyid:base64"],
		[`a:${key(1)},${secret}`, "entry 2 must be keyid:base64"],
		[`:${secret}`, "entry 1: a key id is 1 to 32 of the characters A-Z a-z 0-9 _ -"],
		[`k.1:${secret}`, "entry 1: a key id is 1 to 32"],
		[`${"k".repeat(33)}:${secret}`, "entry 1: a key id is 1 to 32"],
		[`k1:${secret},k1:${key(2)}`, "key id k1 is listed twice"],
		["k1:", "key k1 is not valid base64"],
		[`k1:${secret.slice(0, -1)}`, "key k1 is not valid base64"],
		[`k1:${secret.replace(/[+/]/g, "-")}x`, "key k1 is not valid base64"],
		[`k1:${key(3, 16)}`, "key k1 is 16 bytes; it must be 32 (openssl rand -base64 32)"],
		[`k1:${key(3, 33)}`, "key k1 is 33 bytes; it must be 32"],
	] as const) {
		test(`${JSON.stringify(value.replace(secret, "<key>"))} → ${message}`, () => {
			const parsed = parseKeyring(value);
			expect(parsed.ok).toBe(false);
			if (parsed.ok) return;
			expect(parsed.problem).toContain(message);
			expect(parsed.problem).not.toContain(secret);
			expect(parsed.problem).not.toContain(secret.slice(0, 8));
		});
	}
});
