import { type KnackSandbox, type SandboxOptions, startKnackSandbox } from "../../src/sandbox/knack.ts";

export const app = { appId: "app-one", apiKey: "key-one" };
export const otherApp = { appId: "app-two", apiKey: "key-two" };

export const headers = {
	"x-knack-application-id": app.appId,
	"x-knack-rest-api-key": app.apiKey,
	"content-type": "application/json",
};

/** A sandbox with two apps, where `object_2.field_20` connects to `object_1` shown by `field_1`. */
export function startTestSandbox(options: Partial<SandboxOptions> = {}): KnackSandbox {
	return startKnackSandbox({
		apps: [app, otherApp],
		connections: { object_2: { field_20: { object: "object_1", identifierField: "field_1" } } },
		...options,
	});
}

export interface Client {
	get(path: string, init?: RequestInit): Promise<Response>;
	post(path: string, body: unknown, init?: RequestInit): Promise<Response>;
	put(path: string, body: unknown, init?: RequestInit): Promise<Response>;
	delete(path: string): Promise<Response>;
}

/** Requests to the sandbox's Knack API as app-one, JSON bodies. */
export function client(sandbox: KnackSandbox): Client {
	const send = (method: string, path: string, body?: unknown, init: RequestInit = {}) =>
		fetch(`${sandbox.url}${path}`, {
			method,
			headers,
			...(body === undefined ? {} : { body: JSON.stringify(body) }),
			...init,
		});
	return {
		get: (path, init) => send("GET", path, undefined, init),
		post: (path, body, init) => send("POST", path, body, init),
		put: (path, body, init) => send("PUT", path, body, init),
		delete: (path) => send("DELETE", path),
	};
}

/** The sandbox's origin, where the control endpoints are. */
export function root(sandbox: KnackSandbox): string {
	return new URL(sandbox.url).origin;
}
