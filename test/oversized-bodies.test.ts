import { afterAll, beforeAll, expect, test } from "bun:test";
import { connect } from "node:net";
import { OVERSIZED_DRAIN_BYTES } from "../src/routes/postback.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";

/**
 * A postback over MAX_BODY_BYTES gets a 413 its sender can read. Many clients (Python's
 * http.client among them) write the whole body before they read anything and give up at
 * the first failed write, so a server that answers and closes while the body is still
 * coming in leaves them with a reset, which they retry forever, instead of the refusal.
 */

const MAX_BODY = 256 * 1024;
const TOKEN = "oversized-token";

let h: Harness;
let port: number;
beforeAll(async () => {
	h = await startHarness({ env: { MAX_BODY_BYTES: String(MAX_BODY), POSTBACK_TOKENS: TOKEN } });
	port = Number(new URL(h.service.url).port);
});
afterAll(() => h.stop());

interface Exchange {
	/** body bytes written without an error */
	sent: number;
	/** body bytes written when the first byte of the answer arrived */
	sentAtAnswer: number | null;
	error: string | null;
	answer: string;
}

/**
 * One POST over a raw socket: the headers, then the body in `piece`-byte writes with a
 * short pause between them, as a client on a real network would; the answer is whatever
 * arrives until the server closes or the client has sent everything and the answer is in.
 */
function rawPost(options: { size: number; chunked: boolean; piece?: number; auth?: boolean }): Promise<Exchange> {
	const { size, chunked, piece = 4096, auth = true } = options;
	return new Promise((resolve) => {
		const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
		const received: Buffer[] = [];
		const exchange: Exchange = { sent: 0, sentAtAnswer: null, error: null, answer: "" };
		const finish = () => {
			exchange.answer = Buffer.concat(received).toString("latin1");
			resolve(exchange);
		};
		socket.setTimeout(20_000, () => {
			exchange.error ??= "timed out";
			socket.destroy();
		});
		socket.on("data", (data: Buffer) => {
			exchange.sentAtAnswer ??= exchange.sent;
			received.push(data);
			// A whole answer with a Content-Length: done, whether or not the server closes.
			const text = Buffer.concat(received).toString("latin1");
			const end = text.indexOf("\r\n\r\n");
			const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
			if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) socket.end();
		});
		socket.on("error", (error) => {
			exchange.error ??= (error as NodeJS.ErrnoException).code ?? error.message;
		});
		socket.on("close", finish);
		socket.on("connect", async () => {
			const framing = chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${size}`;
			const authorization = auth ? `Authorization: Bearer ${TOKEN}\r\n` : "";
			socket.write(
				`POST /citybase_postback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${authorization}${framing}\r\n\r\n`,
			);
			const filler = Buffer.alloc(piece, 0x20);
			while (exchange.sent < size) {
				if (socket.destroyed) {
					exchange.error ??= "closed by the server while sending";
					return;
				}
				const n = Math.min(piece, size - exchange.sent);
				const bytes = chunked
					? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), filler.subarray(0, n), Buffer.from("\r\n")])
					: filler.subarray(0, n);
				const failed = await new Promise<Error | null | undefined>((done) => socket.write(bytes, done));
				if (failed) {
					exchange.error ??= (failed as NodeJS.ErrnoException).code ?? failed.message;
					return;
				}
				exchange.sent += n;
				await Bun.sleep(1);
			}
			if (chunked) socket.write("0\r\n\r\n");
		});
	});
}

for (const chunked of [false, true]) {
	const framing = chunked ? "chunked" : "with a Content-Length";
	test(`400 KB sent ${framing} in 4 KB pieces: the whole body goes out, then the 413 is read, 20 times in a row`, async () => {
		const before = await h.service.store.lastSeq();
		for (let i = 0; i < 20; i++) {
			const exchange = await rawPost({ size: 400 * 1024, chunked });
			expect({ round: i, error: exchange.error, sent: exchange.sent }).toEqual({
				round: i,
				error: null,
				sent: 400 * 1024,
			});
			// The answer waits for the body: a client that reads only after writing finds it.
			expect(exchange.sentAtAnswer).toBe(400 * 1024);
			expect(exchange.answer).toStartWith("HTTP/1.1 413 ");
			expect(exchange.answer).toEndWith(`Payload too large: at most ${MAX_BODY} bytes`);
		}
		expect(await h.service.store.lastSeq()).toBe(before);
	}, 60_000);
}

test("a body declared too large is a readable 413 even without a token, as before", async () => {
	const exchange = await rawPost({ size: 300 * 1024, chunked: false, auth: false });
	expect(exchange.error).toBeNull();
	expect(exchange.answer).toStartWith("HTTP/1.1 413 ");
});

test("the refusals log one warning each and no event, error or failure", async () => {
	h.logs.length = 0;
	const before = await h.service.store.lastSeq();
	await rawPost({ size: MAX_BODY + 1, chunked: false });
	await rawPost({ size: MAX_BODY + 1, chunked: true });
	expect(await h.service.store.lastSeq()).toBe(before);
	const lines = h.logs.map((line) => JSON.parse(line) as { level: string; message: string; status?: number });
	expect(lines.filter((l) => l.level !== "debug").map((l) => [l.level, l.message, l.status])).toEqual([
		["warn", "postback refused: body too large or cut off", 413],
		["warn", "postback refused: body too large or cut off", 413],
	]);
});

test("past the drain allowance Bun still refuses with 413 (and may close while the client sends)", async () => {
	const socket = connect({ host: "127.0.0.1", port });
	const received: Buffer[] = [];
	socket.on("data", (data: Buffer) => received.push(data));
	socket.on("error", () => {});
	await new Promise<void>((resolve) => socket.on("connect", resolve));
	const size = MAX_BODY + OVERSIZED_DRAIN_BYTES + 1;
	socket.write(
		`POST /citybase_postback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
	);
	await new Promise<void>((resolve) => socket.on("close", () => resolve()));
	expect(Buffer.concat(received).toString("latin1")).toStartWith("HTTP/1.1 413 ");
});

test("a postback of exactly MAX_BODY_BYTES is recorded byte for byte, with a Content-Length and chunked", async () => {
	for (const chunked of [false, true]) {
		const message = postback({ id: 91_000_000 + Number(chunked), status: "voided" });
		const bare = JSON.stringify(message).length;
		(message.data as Record<string, unknown>).x_padding = "";
		const padded = JSON.stringify(message).length;
		(message.data as Record<string, unknown>).x_padding = "p".repeat(MAX_BODY - padded);
		const bytes = new TextEncoder().encode(JSON.stringify(message));
		expect(bytes.length).toBe(MAX_BODY);
		expect(bare).toBeLessThan(MAX_BODY);
		const before = await h.service.store.lastSeq();
		const body = chunked
			? new ReadableStream<Uint8Array>({
					start(controller) {
						for (let at = 0; at < bytes.length; at += 10_000) controller.enqueue(bytes.slice(at, at + 10_000));
						controller.close();
					},
				})
			: bytes;
		const response = await fetch(`${h.service.url}/citybase_postback`, {
			method: "POST",
			headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
			body,
			duplex: "half",
		} as RequestInit);
		expect(await response.text()).toBe("Payment status updated");
		expect(response.status).toBe(200);
		const received = await h.service.store.get(before + 1);
		expect(Buffer.from(received?.body ?? []).equals(Buffer.from(bytes))).toBe(true);
	}
});
