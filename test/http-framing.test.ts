import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AnyElysia, Elysia } from "elysia";
import { appRoutes } from "../src/app.ts";
import type { AppContext } from "../src/context.ts";
import { framing } from "../src/routes/framing.ts";
import { type Harness, startHarness } from "./support/harness.ts";
import { postback } from "./support/payloads.ts";
import { type RawAnswer, rawRequest } from "./support/rawHttp.ts";

/**
 * Every request answered for what it is. Raw sockets, because `fetch` always sends a
 * `Host`: HTTP/1.0 without one is legal, and Bun then hands over a relative URL that
 * `new URL(request.url)` cannot read. Before, every path answered such a request
 * `200 Invalid URL`, the postback included, with nothing recorded.
 */

interface Route {
	method: string;
	path: string;
}

/** A request line for the route: parameters filled in, `ALL` sent as PUT. */
const target = ({ method, path }: Route) => ({
	method: method === "ALL" ? "PUT" : method,
	path: path.replace(/:[^/]+/g, "1").replace(/\*/g, "x"),
});

/** The postback first: a 200 that records nothing is the one broken promise to CityBase. */
const byPostbackFirst = (a: Route, b: Route) =>
	Number(b.path === "/citybase_postback") - Number(a.path === "/citybase_postback");

const body = JSON.stringify(postback({ id: 91_000_001, status: "voided", knackRecordId: "5f7200000000000000000001" }));

function http10(route: Route, host: string | null): string {
	const { method, path } = target(route);
	const hostLine = host === null ? "" : `Host:${host}\r\n`;
	const withBody = method === "POST" || method === "PUT" || method === "PATCH";
	const entity = withBody ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` : "\r\n";
	return `${method} ${path} HTTP/1.0\r\n${hostLine}${entity}`;
}

/** Every route the app has, read off the same route plugin the service serves. */
let routes: Route[] = [];
function listingRoutes(ctx: AppContext) {
	routes = appRoutes(ctx)
		.routes.map(({ method, path }) => ({ method, path }))
		.sort(byPostbackFirst);
}

describe("a request without a usable Host", () => {
	let harness: Harness;
	beforeAll(async () => {
		harness = await startHarness({
			app: (ctx) => {
				listingRoutes(ctx);
				return new Elysia().use(framing(ctx.logger)).use(appRoutes(ctx));
			},
		});
	});
	afterAll(() => harness.stop());

	test("the app has the routes this test walks, the postback first", () => {
		expect(routes[0]).toEqual({ method: "POST", path: "/citybase_postback" });
		expect(routes.map((r) => r.path)).toEqual(
			expect.arrayContaining(["/", "/readyz", "/livez", "/metrics", "/docs", "/admin"]),
		);
	});

	test("a postback over HTTP/1.0 without Host: 400 saying why, and nothing recorded", async () => {
		const answer = await rawRequest(harness.service.url, http10({ method: "POST", path: "/citybase_postback" }, null));
		expect(answer.status).toBe(400);
		expect(answer.body).toContain("Host");
		expect(await harness.service.store.lastSeq()).toBe(0);
	});

	for (const [name, host] of [
		["no Host header", null],
		["an empty Host", ""],
		["a Host with a space", " a b"],
	] as const) {
		test(`${name}: every route answers 400 naming Host, never 2xx`, async () => {
			const answers: Record<string, RawAnswer["status"]> = {};
			for (const route of routes) {
				const answer = await rawRequest(harness.service.url, http10(route, host));
				answers[`${route.method} ${route.path}`] = answer.status;
				if (answer.status === 400) expect(answer.body).toContain("Host");
			}
			expect(Object.entries(answers).filter(([, status]) => status !== 400)).toEqual([]);
		});
	}

	test("the same requests with a Host are answered by their routes (the guard stops only what it must)", async () => {
		const answer = await rawRequest(harness.service.url, http10({ method: "GET", path: "/livez" }, " citybase"));
		expect(answer.status).toBe(200);
		expect(JSON.parse(answer.body)).toEqual({ status: "ALIVE" });
	});
});

/**
 * An error thrown anywhere before the answer: a hook of each kind, put in front of every
 * route of the real app, throws. Whatever the route, the answer is a 5xx, never a 2xx.
 */
const throwingHooks: Record<string, (app: AnyElysia) => AnyElysia> = {
	onRequest: (app) =>
		app.onRequest(() => {
			throw new Error("thrown in onRequest");
		}),
	onTransform: (app) =>
		app.onTransform({ as: "global" }, () => {
			throw new Error("thrown in onTransform");
		}),
	onBeforeHandle: (app) =>
		app.onBeforeHandle({ as: "global" }, () => {
			throw new Error("thrown in onBeforeHandle");
		}),
	onAfterHandle: (app) =>
		app.onAfterHandle({ as: "global" }, () => {
			throw new Error("thrown in onAfterHandle");
		}),
	mapResponse: (app) =>
		app.mapResponse({ as: "global" }, () => {
			throw new Error("thrown in mapResponse");
		}),
};

for (const [hook, addThrowingHook] of Object.entries(throwingHooks)) {
	describe(`an error thrown in ${hook}`, () => {
		let harness: Harness;
		beforeAll(async () => {
			harness = await startHarness({
				app: (ctx) => {
					listingRoutes(ctx);
					return addThrowingHook(new Elysia().use(framing(ctx.logger))).use(appRoutes(ctx));
				},
			});
		});
		afterAll(() => harness.stop());

		test("every route answers 5xx, the postback first, and the postback records nothing", async () => {
			const answers: Record<string, RawAnswer["status"]> = {};
			for (const route of routes) {
				const answer = await rawRequest(harness.service.url, http10(route, " 127.0.0.1"));
				answers[`${route.method} ${route.path}`] = answer.status;
			}
			expect(Object.entries(answers).filter(([, status]) => status === null || status < 500)).toEqual([]);
			if (hook !== "onAfterHandle" && hook !== "mapResponse") {
				expect(await harness.service.store.lastSeq()).toBe(0);
			}
		});
	});
}
