/**
 * One HTTP request written byte for byte on a fresh socket, and the answer as it came:
 * what `fetch` cannot send (no `Host`, HTTP/1.0, a malformed header). The request should
 * ask the server to close (HTTP/1.0 does by default), so the answer ends with the socket.
 */
export interface RawAnswer {
	/** null: the connection closed without an HTTP answer */
	status: number | null;
	headers: Record<string, string>;
	body: string;
}

export async function rawRequest(url: string, request: string, timeoutMs = 10_000): Promise<RawAnswer> {
	const { hostname, port } = new URL(url);
	const received: Uint8Array[] = [];
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`no end of answer within ${timeoutMs} ms`)), timeoutMs);
		const done = () => {
			clearTimeout(timer);
			resolve();
		};
		Bun.connect({
			hostname,
			port: Number(port),
			socket: {
				open: (socket) => void socket.write(request),
				data: (_socket, chunk) => void received.push(new Uint8Array(chunk)),
				close: done,
				end: done,
				error: done,
			},
		}).catch(reject);
	});
	const text = Buffer.concat(received).toString("latin1");
	const split = text.indexOf("\r\n\r\n");
	const head = split < 0 ? text : text.slice(0, split);
	const [statusLine = "", ...headerLines] = head.split("\r\n");
	const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
	const headers = Object.fromEntries(
		headerLines.map((line) => {
			const colon = line.indexOf(":");
			return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
		}),
	);
	return { status: status ? Number(status) : null, headers, body: split < 0 ? "" : text.slice(split + 4) };
}
