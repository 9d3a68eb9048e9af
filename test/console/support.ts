import { expect } from "bun:test";
import type { Harness } from "../support/harness.ts";

/** Drives the console over plain HTTP as a browser without JavaScript would: forms, cookies, redirects by hand. */
export const adminToken = "console-test-admin-token";

export interface Operator {
	cookie: string;
	get(path: string): Promise<Response>;
	post(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
}

export function formBody(fields: Record<string, string>): URLSearchParams {
	return new URLSearchParams(fields);
}

export async function signIn(h: Harness, name = "Ana Ruiz", token = adminToken): Promise<Operator> {
	const response = await fetch(`${h.service.url}/admin/login`, {
		method: "POST",
		body: formBody({ token, name }),
		redirect: "manual",
	});
	expect(response.status).toBe(303);
	const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
	expect(cookie).toMatch(/^citybase_console=[\w-]{43}$/);
	return operatorWith(h, cookie);
}

export function operatorWith(h: Harness, cookie: string): Operator {
	return {
		cookie,
		get: (path) => fetch(`${h.service.url}${path}`, { headers: { cookie }, redirect: "manual" }),
		post: (path, fields, headers = {}) =>
			fetch(`${h.service.url}${path}`, {
				method: "POST",
				headers: { cookie, ...headers },
				body: formBody(fields),
				redirect: "manual",
			}),
	};
}

/** The hidden CSRF field of a page's forms. */
export function csrfOf(page: string): string {
	const token = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
	if (!token) throw new Error("no CSRF field on the page");
	return token;
}
