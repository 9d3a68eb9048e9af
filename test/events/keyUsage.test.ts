import { expect, test } from "bun:test";
import { encryptBodySync } from "../../src/events/bodyCipher.ts";
import { type Keyring, parseKeyring } from "../../src/events/bodyKeys.ts";
import { keyUsage } from "../../src/events/keyUsage.ts";
import { examples } from "./examples.ts";

function keyring(value: string): Keyring {
	const parsed = parseKeyring(value);
	if (!parsed.ok) throw new Error(parsed.problem);
	return parsed.keyring;
}
const secret = (fill: number) => Buffer.alloc(32, fill).toString("base64");
const body = new TextEncoder().encode(examples[0]?.text ?? "");

test("counts bodies per key, in clear and damaged, and says which keys are current, listed or retired", async () => {
	const k2023 = keyring(`k2023:${secret(1)}`);
	const k2024 = keyring(`k2024:${secret(2)}`);
	const now = keyring(`k2026:${secret(4)},k2025:${secret(3)},k2024:${secret(2)}`);
	let seq = 0;
	const event = (bytes: Uint8Array | null) => ({ seq: ++seq, body: bytes });
	const log = [
		event(body),
		event(null),
		event(encryptBodySync(k2023, body, 3)),
		event(encryptBodySync(k2024, body, 4)),
		event(encryptBodySync(k2024, body, 5)),
		event(encryptBodySync(k2023, body, 6)),
		event(encryptBodySync(keyring(`k2022:${secret(5)}`), body, 7)),
		event(encryptBodySync(k2024, body, 8).subarray(0, 20)),
		event(body),
	];
	expect(await keyUsage(now, log)).toEqual({
		keys: [
			{ keyId: "k2026", status: "current", events: 0 },
			{ keyId: "k2025", status: "listed", events: 0 },
			{ keyId: "k2024", status: "listed", events: 2 },
			{ keyId: "k2022", status: "retired", events: 1 },
			{ keyId: "k2023", status: "retired", events: 2 },
		],
		plain: 2,
		damaged: 1,
	});
});

test("without keys, every encrypted body is under a retired key", async () => {
	const k1 = keyring(`k1:${secret(1)}`);
	expect(await keyUsage(null, [{ body }, { body: encryptBodySync(k1, body, 2) }])).toEqual({
		keys: [{ keyId: "k1", status: "retired", events: 1 }],
		plain: 1,
		damaged: 0,
	});
	expect(await keyUsage(null, [])).toEqual({ keys: [], plain: 0, damaged: 0 });
});
