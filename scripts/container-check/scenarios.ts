/**
 * The container check's scenarios (scripts/container-check.sh sets up the engine and runs
 * this): the stand-in base images, the image from the Dockerfile unchanged, the image
 * alone, compose's profiles with .env copied from env-template, and production-ha behind
 * HAProxy through its faults. Each scenario prints "ok - …" or "not ok - …: why", and the
 * last line of $CHECK_SCRATCH/summary is "N passed, M failed".
 *
 * What differs from the README's commands, and why: `podman` stands for `docker` and
 * docker-compose 1.29 for `docker compose`; `podman build` adds `--format docker` (the OCI
 * format drops HEALTHCHECK) and `--network host` (no bridge of the machine's is touched);
 * the compose files are run from a scratch copy of the checkout whose published ports are
 * rewritten from 172.17.0.1 (Docker's bridge, absent here) and fixed host ports to free
 * ports on 127.0.0.1, and with a test override (docker-compose.check.yml, written here):
 * the check's own network, and for production-ha a Knack sandbox container and one
 * database role per instance (so one instance's store can be made read-only).
 */
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const scratch = required("CHECK_SCRATCH");
const app = required("CHECK_APP");
const network = required("CHECK_NETWORK");
const bunVersion = required("CHECK_BUN_VERSION");
const repo = join(import.meta.dir, "..", "..");
const standIns = join(import.meta.dir, "stand-ins");
const image = "atd-citybase";

function required(name: string): string {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set: run scripts/container-check.sh`);
	return value;
}

// --- running things -------------------------------------------------------------------

interface Run {
	code: number;
	stdout: string;
	stderr: string;
}

/** A command with a time limit; rejects on a non-zero exit unless `allowFailure`. */
async function sh(
	command: string[],
	options: { cwd?: string; timeoutMs?: number; allowFailure?: boolean; stdin?: Blob; log?: string } = {},
): Promise<Run> {
	const child = Bun.spawn(command, {
		cwd: options.cwd ?? app,
		stdin: options.stdin ?? "ignore",
		stdout: "pipe",
		stderr: "pipe",
	});
	const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
	const [code, stdout, stderr] = await Promise.all([
		child.exited,
		new Response(child.stdout).text(),
		new Response(child.stderr).text(),
	]);
	clearTimeout(timer);
	if (options.log) appendFileSync(join(scratch, options.log), `$ ${command.join(" ")}\n${stdout}${stderr}\n`);
	if (code !== 0 && !options.allowFailure) {
		const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-15).join("\n");
		throw new Error(`${command.slice(0, 3).join(" ")} … exited ${code}:\n${tail}`);
	}
	return { code, stdout, stderr };
}

const podman = (args: string[], options: Parameters<typeof sh>[1] = {}) => sh(["podman", ...args], options);

async function freePort(): Promise<number> {
	const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
	const port = server.port;
	server.stop(true);
	return port;
}

/** Polls until `check` answers a value, or fails naming what never happened. */
async function waitFor<T>(what: string, check: () => Promise<T | null | undefined>, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown = null;
	while (Date.now() < deadline) {
		try {
			const value = await check();
			if (value !== null && value !== undefined) return value;
		} catch (error) {
			last = (error as Error).message;
		}
		await Bun.sleep(250);
	}
	throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last: ${last})` : ""}`);
}

function expect(condition: unknown, message: string): asserts condition {
	if (!condition) throw new Error(message);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number) => `${Math.round(bytes / 1_000_000)} MB`;

// --- postbacks ------------------------------------------------------------------------

const fixtures = ["smart-mobility-block-party-successful.json", "street-banner-lamppost-refunded.json"].map((name) =>
	readFileSync(join(repo, "test", "fixtures", name), "utf8"),
);
let nextId = 90_000_000 + Math.floor(Math.random() * 1_000_000) * 10;

/** A fixture as a new payment (its own CityBase id), so Knack is written every time. */
function freshPostback(fixture = fixtures[0] ?? ""): { id: number; body: string } {
	const id = nextId++;
	const payload = JSON.parse(fixture) as { data: { id: number } };
	payload.data.id = id;
	return { id, body: JSON.stringify(payload) };
}

interface Answer {
	status: number;
	ms: number;
	/** set by the service on every postback answer; a proxy's own answer has none */
	requestId: string | null;
	body: string;
}

/** Status 0: no answer at all (the connection was cut), which CityBase retries as it does any other. */
async function post(base: string, body: string): Promise<Answer> {
	const started = performance.now();
	const response = await fetch(`${base}/citybase_postback`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body,
		signal: AbortSignal.timeout(30_000),
	}).catch(() => null);
	if (!response) return { status: 0, ms: performance.now() - started, requestId: null, body: "" };
	const text = await response.text();
	return {
		status: response.status,
		ms: performance.now() - started,
		requestId: response.headers.get("x-request-id"),
		body: text,
	};
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
	const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
	return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// --- scenarios ------------------------------------------------------------------------

const results: { name: string; ok: boolean }[] = [];
const notes: string[] = [];

async function scenario(name: string, body: () => Promise<string | undefined>): Promise<boolean> {
	const started = performance.now();
	try {
		const detail = await body();
		console.log(`ok - ${name} (${seconds(performance.now() - started)})${detail ? `: ${detail}` : ""}`);
		results.push({ name, ok: true });
		return true;
	} catch (error) {
		console.log(`not ok - ${name} (${seconds(performance.now() - started)}): ${(error as Error).message}`);
		results.push({ name, ok: false });
		return false;
	}
}

/** The compose file with its published ports moved to free ports on 127.0.0.1. */
async function loopbackPorts(file: string): Promise<Record<string, number>> {
	let text = readFileSync(join(app, file), "utf8");
	const ports: Record<string, number> = {};
	for (const match of text.matchAll(/^(\s*- )"((?:172\.17\.0\.1:)?(\d+)):(\d+)"/gm)) {
		const [line, indent, published, , target] = match;
		const port = await freePort();
		ports[published ?? ""] = port;
		text = text.replace(line, `${indent}"127.0.0.1:${port}:${target}"`);
	}
	writeFileSync(join(app, file), text);
	return ports;
}

const checkNetwork = `networks:\n  default:\n    external: true\n    name: ${network}\n`;

function compose(files: string[], args: string[], options: Parameters<typeof sh>[1] = {}) {
	return sh(["docker-compose", ...files.flatMap((f) => ["-f", f]), ...args], {
		log: "compose.log",
		timeoutMs: 600_000,
		...options,
	});
}

async function containerOf(files: string[], service: string): Promise<string> {
	const { stdout } = await compose(files, ["ps", "-q", service], { log: undefined });
	const id = stdout.trim().split("\n")[0];
	expect(id, `no container for ${service}`);
	return id;
}

// --- 1. stand-in base images ------------------------------------------------------------

async function standInBases(): Promise<string> {
	const rootfs = join(scratch, "rootfs");
	const sources = readFileSync("/etc/apt/sources.list.d/debian.sources", "utf8").match(/^URIs:\s*(\S+)/m)?.[1];
	await sh(
		[
			"debootstrap",
			"--variant=minbase",
			"--include=ca-certificates",
			"bookworm",
			rootfs,
			sources ?? "http://deb.debian.org/debian",
		],
		{ timeoutMs: 600_000, log: "debootstrap.log" },
	);
	// What debian:bookworm-slim leaves out: the package cache and lists.
	await sh(["sh", "-c", `rm -rf ${rootfs}/var/cache/apt/archives/*.deb ${rootfs}/var/lib/apt/lists/*`]);
	await sh([
		"sh",
		"-c",
		`tar -C ${rootfs} -c . | podman import --change 'CMD ["bash"]' - docker.io/library/debian:bookworm-slim`,
	]);
	await sh(["rm", "-rf", rootfs]);

	const context = join(scratch, "stand-ins");
	mkdirSync(context);
	await sh(["cp", "-a", `${standIns}/.`, context]);
	await sh(["npm", "pack", "--silent", `@oven/bun-linux-x64-baseline@${bunVersion}`], { cwd: context });
	await sh(["tar", "-xzf", `oven-bun-linux-x64-baseline-${bunVersion}.tgz`, "package/bin/bun"], { cwd: context });
	await sh(["mv", "package/bin/bun", "bun"], { cwd: context });

	const haFile = readFileSync(join(app, "docker-compose.production-ha.yml"), "utf8");
	const tag = (name: string) => haFile.match(new RegExp(`image: (${name}:\\S+)`))?.[1] ?? "";
	const build = (file: string, name: string) =>
		podman(["build", "--quiet", "--format", "docker", "--network", "host", "-f", file, "-t", name, context], {
			timeoutMs: 600_000,
			log: "stand-ins.log",
		});
	await Promise.all([
		build("bun.Containerfile", `docker.io/oven/bun:${bunVersion}-slim`),
		build("postgres.Containerfile", `docker.io/library/${tag("postgres")}`),
		build("haproxy.Containerfile", `docker.io/library/${tag("haproxy")}`),
	]);
	return `oven/bun:${bunVersion}-slim, ${tag("postgres")}, ${tag("haproxy")}`;
}

// --- 2. the image -----------------------------------------------------------------------

async function theImage(): Promise<string> {
	const started = performance.now();
	await podman(["build", "--format", "docker", "--network", "host", "-t", image, "."], {
		timeoutMs: 600_000,
		log: "build.log",
	});
	const took = performance.now() - started;
	const size = Number((await podman(["image", "inspect", "--format", "{{.Size}}", image])).stdout.trim());
	const base = Number(
		(
			await podman(["image", "inspect", "--format", "{{.Size}}", `docker.io/oven/bun:${bunVersion}-slim`])
		).stdout.trim(),
	);
	const modules = await podman([
		"run",
		"--rm",
		"--network",
		network,
		"--entrypoint",
		"sh",
		image,
		"-c",
		"du -sm node_modules | cut -f1; ls node_modules",
	]);
	const [megs = "?", ...names] = modules.stdout.trim().split("\n");
	const heavy = names.filter((n) => /^(typescript|bun-types|@types|@typescript)$/.test(n));
	expect(heavy.length === 0, `the production node_modules holds ${heavy.join(", ")}`);
	notes.push(
		`image ${megabytes(size)} (${megabytes(size - base)} over the ${megabytes(base)} base), node_modules ${megs} MB`,
	);
	return `built in ${seconds(took)}; ${notes.at(-1)}`;
}

// --- 3. the image alone ------------------------------------------------------------------

async function imageAlone(): Promise<string> {
	const port = await freePort();
	const name = "citybase-alone";
	const started = performance.now();
	await podman(["run", "--detach", "--name", name, "--network", network, "-p", `127.0.0.1:${port}:5000`, image], {
		allowFailure: false,
	});
	const base = `http://127.0.0.1:${port}`;
	const health = await waitFor("GET / answers", async () => {
		const answer = await getJson(`${base}/`).catch(() => null);
		return answer?.status === 200 ? answer : null;
	});
	const firstAnswer = performance.now() - started;
	expect(health.body.status === "OK", `GET / says ${health.body.status}`);
	for (const fixture of fixtures) {
		const answer = await post(base, fixture);
		expect(answer.status === 200, `a fixture was answered ${answer.status}: ${answer.body}`);
	}
	const check = await podman(["healthcheck", "run", name], { allowFailure: true });
	expect(check.code === 0, `podman healthcheck run: exit ${check.code} ${check.stdout}${check.stderr}`);
	const uid = (await podman(["exec", name, "id", "-u"])).stdout.trim();
	expect(uid !== "0", "the service runs as root");
	const stopping = performance.now();
	await podman(["stop", "--time", "30", name]);
	const stopTook = performance.now() - stopping;
	const exit = (await podman(["inspect", "--format", "{{.State.ExitCode}}", name])).stdout.trim();
	const logs = await podman(["logs", name]);
	expect(exit === "0", `exit code ${exit} after podman stop`);
	expect(logs.stdout.includes('"message":"stopped"'), "no 'stopped' line in the log");
	await podman(["rm", name]);
	return `GET / after ${seconds(firstAnswer)}, both fixtures 200, HEALTHCHECK healthy, uid ${uid}, stopped cleanly in ${seconds(stopTook)} (2 s of it the readiness drain)`;
}

async function rootOwnedData(): Promise<string> {
	const data = join(scratch, "root-owned-data");
	mkdirSync(data, { mode: 0o755 });
	const run = await podman(["run", "--rm", "--network", network, "-v", `${data}:/data`, image], {
		allowFailure: true,
		timeoutMs: 60_000,
	});
	const lines = run.stderr
		.trim()
		.split("\n")
		.filter((l) => l.startsWith("atd-citybase"));
	const [line = ""] = lines;
	expect(run.code === 1, `exit ${run.code}`);
	expect(
		lines.length === 1 && line.includes("/data") && line.includes("uid 1000") && line.includes("chown 1000:1000"),
		`stderr was: ${run.stderr.trim()}`,
	);
	expect(!run.stderr.includes("    at "), "a stack trace");
	return line;
}

// --- 4. compose -------------------------------------------------------------------------

async function everyProfileAccepted(): Promise<string> {
	copyFileSync(join(app, "env-template"), join(app, ".env"));
	for (const profile of ["development", "staging", "uat", "production"]) {
		await compose(["docker-compose.yml"], ["--profile", profile, "config", "--quiet"]);
	}
	const refused = await compose(["docker-compose.production-ha.yml"], ["config", "--quiet"], { allowFailure: true });
	expect(refused.code !== 0, "production-ha started without POSTGRES_PASSWORD");
	const message = `${refused.stdout}${refused.stderr}`;
	expect(
		message.includes("set POSTGRES_PASSWORD in .env") && message.includes("docker-compose.production-ha.yml"),
		`compose said: ${message.trim()}`,
	);
	return "all four profiles with .env = env-template; production-ha refused, naming POSTGRES_PASSWORD and its file";
}

async function developmentProfile(): Promise<string> {
	copyFileSync(join(app, "env-template"), join(app, ".env"));
	const ports = await loopbackPorts("docker-compose.yml");
	writeFileSync(
		join(app, "docker-compose.check.yml"),
		`services:\n  citybase-development:\n    build:\n      network: host\n${checkNetwork}`,
	);
	const files = ["docker-compose.yml", "docker-compose.check.yml"];
	try {
		const started = performance.now();
		await compose(files, ["--profile", "development", "up", "--detach", "--build"]);
		const base = `http://127.0.0.1:${ports["5000"]}`;
		const health = await waitFor("development answers GET /", async () => {
			const answer = await getJson(`${base}/`).catch(() => null);
			return answer?.status === 200 ? answer : null;
		});
		const up = performance.now() - started;
		expect(health.body.environment === "development", `environment ${health.body.environment}`);
		const answer = await post(base, fixtures[0] ?? "");
		expect(answer.status === 200, `the fixture was answered ${answer.status}: ${answer.body}`);
		const calls = (await (await fetch(`http://127.0.0.1:${ports["5001"]}/__sandbox/calls`)).json()) as unknown[];
		expect(calls.length > 0, "the embedded sandbox saw no Knack call");
		return `up in ${seconds(up)}, a fixture 200, ${calls.length} calls at the embedded Knack sandbox`;
	} finally {
		await compose(files, ["--profile", "development", "down", "--volumes", "--timeout", "30"], { allowFailure: true });
	}
}

// --- 5. production-ha ---------------------------------------------------------------------

const haFiles = ["docker-compose.production-ha.yml", "docker-compose.check.yml"];
let proxy = "";
let sandbox = "";
let password = "";
const adminToken = `check-${crypto.randomUUID()}`;

async function haUp(): Promise<string> {
	password = `check${crypto.randomUUID().replaceAll("-", "")}`;
	const ports = await loopbackPorts("docker-compose.production-ha.yml");
	const sandboxPort = await freePort();
	proxy = `http://127.0.0.1:${ports["172.17.0.1:13100"]}`;
	sandbox = `http://127.0.0.1:${sandboxPort}`;
	const { sandboxCredentials } = await import("../../src/sandboxCredentials.ts");
	writeFileSync(
		join(app, ".env"),
		`${readFileSync(join(app, "env-template"), "utf8")}
POSTGRES_PASSWORD=${password}
KNACK_API_URL=http://knack-sandbox:5001/v1
KNACK_STREET_BANNER_APP_ID=${sandboxCredentials.STREET_BANNER.appId}
KNACK_STREET_BANNER_API_KEY=${sandboxCredentials.STREET_BANNER.apiKey}
KNACK_SMART_MOBILITY_APP_ID=${sandboxCredentials.SMART_MOBILITY.appId}
KNACK_SMART_MOBILITY_API_KEY=${sandboxCredentials.SMART_MOBILITY.apiKey}
POSTBACK_AUTH=none
EVENT_LOG_ENCRYPTION=none
ADMIN_TOKEN=${adminToken}
KNACK_RATE_LIMIT=1000
`,
	);
	// KNACK_RATE_LIMIT out of the way (the sandbox has none): the failovers below time the
	// proxy, not the Knack budget that a postback's four calls would otherwise wait for.
	// One role per instance, each acting as citybase (which owns the schema), so that one
	// instance's sessions alone can be made read-only.
	mkdirSync(join(app, "check"), { recursive: true });
	writeFileSync(
		join(app, "check", "roles.sql"),
		["ha1", "ha2"]
			.map(
				(role) =>
					`create role ${role} login password '${password}' in role citybase;\nalter role ${role} set role citybase;\n`,
			)
			.join(""),
	);
	const sandboxScript = [
		"const { startKnackSandbox } = await import('./src/sandbox/knack.ts');",
		"const { defaultSandboxOptions } = await import('./src/sandbox/defaults.ts');",
		"startKnackSandbox(defaultSandboxOptions({ hostname: '0.0.0.0', port: 5001 }));",
		"console.log('knack sandbox listening');",
	].join(" ");
	const instance = (role: string) => `    build:
      network: host
    environment:
      DATABASE_URL: postgres://${role}:${password}@postgres:5432/citybase
`;
	writeFileSync(
		join(app, "docker-compose.check.yml"),
		`services:
  knack-sandbox:
    image: ${image}
    command: ["bun", "-e", ${JSON.stringify(sandboxScript)}]
    healthcheck:
      disable: true
    ports:
      - "127.0.0.1:${sandboxPort}:5001"
  postgres:
    volumes:
      - ./check/roles.sql:/docker-entrypoint-initdb.d/roles.sql:ro
  citybase-production-ha-1:
${instance("ha1")}  citybase-production-ha-2:
${instance("ha2")}${checkNetwork}`,
	);
	const started = performance.now();
	await compose(haFiles, ["up", "--detach", "--build"]);
	for (const service of ["citybase-production-ha-1", "citybase-production-ha-2"]) {
		await waitFor(
			`${service} ready`,
			async () => ((await readiness(service)).startsWith("200") ? true : null),
			120_000,
		);
	}
	await inPool("ha-1");
	await inPool("ha-2");
	return `two instances, PostgreSQL and HAProxy up in ${seconds(performance.now() - started)}`;
}

/** GET /readyz asked inside an instance's container: its status and body. */
async function readiness(service: string): Promise<string> {
	const container = await containerOf(haFiles, service);
	const script = "const r = await fetch('http://127.0.0.1:5000/readyz'); console.log(r.status, await r.text())";
	return (await podman(["exec", container, "bun", "-e", script], { timeoutMs: 30_000 })).stdout.trim();
}

/**
 * Until the proxy sends to the server: HAProxy starts a server UP and logs only changes,
 * so a server it never logged DOWN is in, and one it did is in once it logged UP since.
 */
const inPool = (server: string) =>
	waitFor(
		`${server} in the proxy's pool`,
		async () => (lastState(await proxyLog(), server) !== "DOWN" ? true : null),
		60_000,
	);

const outOfPool = (server: string, timeoutMs = 30_000) =>
	waitFor(
		`${server} out of the proxy's pool`,
		async () => (lastState(await proxyLog(), server) === "DOWN" ? true : null),
		timeoutMs,
	);

async function proxyLog(): Promise<string> {
	const container = await containerOf(haFiles, "citybase-proxy-production-ha");
	const { stdout, stderr } = await podman(["logs", container]);
	return stdout + stderr;
}

/** The proxy's last word on a server: UP or DOWN, or null when it said nothing yet. */
function lastState(log: string, server: string): "UP" | "DOWN" | null {
	const states = [...log.matchAll(new RegExp(`Server citybase/${server} is (UP|DOWN)`, "g"))];
	return (states.at(-1)?.[1] as "UP" | "DOWN" | undefined) ?? null;
}

/** Which server the proxy sent each request to, from its log (one line per request). */
function servedBy(log: string, path: string): string[] {
	return [...log.matchAll(new RegExp(`citybase citybase/(\\S+) .*"[A-Z]+ ${path}[^ ]* HTTP`, "g"))].map(
		(m) => m[1] ?? "",
	);
}

async function psql(sql: string): Promise<string> {
	const container = await containerOf(haFiles, "postgres");
	return (await podman(["exec", container, "psql", "-U", "citybase", "-d", "citybase", "-tAqc", sql])).stdout.trim();
}

async function recorded(ids: number[]): Promise<number> {
	return Number(await psql(`select count(distinct citybase_id) from events where citybase_id in (${ids.join(",")})`));
}

/** Ten new payments through the proxy, one after another: each answered 200 and in the log; which server took each. */
async function tenThroughProxy(): Promise<string[]> {
	const before = servedBy(await proxyLog(), "/citybase_postback").length;
	const ids: number[] = [];
	const answers: Answer[] = [];
	for (let i = 0; i < 10; i++) {
		const { id, body } = freshPostback(fixtures[i % fixtures.length]);
		ids.push(id);
		answers.push(await post(proxy, body));
	}
	expect(
		answers.every((a) => a.status === 200),
		`answers ${answers.map((a) => a.status)}`,
	);
	expect((await recorded(ids)) === ids.length, "not every postback is in the log");
	return servedBy(await proxyLog(), "/citybase_postback").slice(before);
}

/** How many of the requests each instance took; both must have taken some. */
function onBoth(servers: string[]): Record<string, number> {
	const counts = Object.fromEntries(["ha-1", "ha-2"].map((s) => [s, servers.filter((x) => x === s).length]));
	expect((counts["ha-1"] ?? 0) > 0 && (counts["ha-2"] ?? 0) > 0, `served by ${JSON.stringify(counts)}`);
	return counts;
}

async function spreadOverBoth(): Promise<string> {
	const counts = onBoth(await tenThroughProxy());
	return `10 postbacks 200: ${counts["ha-1"]} on ha-1, ${counts["ha-2"]} on ha-2`;
}

/** Signs in through the proxy, then loads console pages: each must come back signed in, from either instance. */
async function consoleAcrossInstances(): Promise<string> {
	const operator = "Container Check";
	const login = await fetch(`${proxy}/admin/login`, {
		method: "POST",
		headers: { "content-type": "application/x-www-form-urlencoded" },
		body: new URLSearchParams({ token: adminToken, name: operator, next: "/admin" }),
		redirect: "manual",
		signal: AbortSignal.timeout(10_000),
	});
	const cookie = login.headers.get("set-cookie")?.split(";")[0];
	expect(login.status === 303 || login.status === 302, `sign-in answered ${login.status}`);
	expect(cookie, "sign-in set no session cookie");
	const before = servedBy(await proxyLog(), "/admin").length;
	const pages = ["/admin", "/admin/stuck", "/admin", "/admin/stuck", "/admin", "/admin/stuck"];
	for (const page of pages) {
		const response = await fetch(`${proxy}${page}`, {
			headers: { cookie },
			redirect: "manual",
			signal: AbortSignal.timeout(10_000),
		});
		const body = await response.text();
		expect(
			response.status === 200 && body.includes(`Signed in as <strong>${operator}</strong>`),
			`${page} answered ${response.status} ${response.headers.get("location") ?? ""}, not signed in`,
		);
	}
	const counts = onBoth(servedBy(await proxyLog(), "/admin").slice(before));
	return `signed in once through the proxy; ${pages.length} page loads all signed in, ${counts["ha-1"]} from ha-1 and ${counts["ha-2"]} from ha-2`;
}

async function readOnlyStore(): Promise<string> {
	const terminate = "select count(pg_terminate_backend(pid)) from pg_stat_activity where usename = 'ha1'";
	await psql(`alter role ha1 set default_transaction_read_only = on; ${terminate}`);
	const faulted = performance.now();
	try {
		// No postback arrives to find out: the instance's own probe does.
		await outOfPool("ha-1");
		const out = performance.now() - faulted;
		const answer = await readiness("citybase-production-ha-1");
		const servers = await tenThroughProxy();
		expect(
			servers.every((s) => s === "ha-2"),
			`served by ${servers.join(", ")}`,
		);
		notes.push(`readiness of an instance whose store is read-only: ${answer}`);
		return `ha-1 out ${seconds(out)} after its store turned read-only (readiness: ${answer}); 10 postbacks 200, all on ha-2`;
	} finally {
		await psql(`alter role ha1 reset all; alter role ha1 set role citybase; ${terminate}`);
		await inPool("ha-1");
	}
}

async function knackRefusesKeys(): Promise<string> {
	const fault = { status: 401, times: 1_000_000, body: { errors: [{ message: "Invalid API key" }] } };
	const injected = await fetch(`${sandbox}/__sandbox/faults`, { method: "POST", body: JSON.stringify(fault) });
	expect(injected.ok, `the sandbox refused the fault: ${injected.status}`);
	try {
		const ids: number[] = [];
		const answers: Answer[] = [];
		let failingSince: number | null = null;
		let readyAll = true;
		const giveUp = performance.now() + 60_000;
		while (failingSince === null || performance.now() - failingSince < 62_000) {
			expect(failingSince !== null || performance.now() < giveUp, "GET / never said FAILING");
			const { id, body } = freshPostback();
			ids.push(id);
			answers.push(await post(proxy, body));
			const health = await fetch(`${proxy}/`, { signal: AbortSignal.timeout(5_000) });
			const status = ((await health.json()) as { status: string }).status;
			if (status === "FAILING") failingSince ??= performance.now();
			readyAll &&= (await fetch(`${proxy}/readyz`, { signal: AbortSignal.timeout(5_000) })).status === 200;
			await Bun.sleep(2_000);
		}
		const byProxy = answers.filter((a) => a.requestId === null);
		expect(byProxy.length === 0, `${byProxy.length} answers came from the proxy itself: ${byProxy[0]?.status}`);
		const statuses = [...new Set(answers.map((a) => a.status))];
		expect(readyAll, "GET /readyz failed while Knack refused the keys");
		expect(!servedBy(await proxyLog(), "/citybase_postback").includes("<NOSRV>"), "the proxy had no server");
		const kept = await recorded(ids);
		expect(kept === ids.length, `${ids.length - kept} postbacks not recorded`);
		return `${ids.length} postbacks over ${seconds(62_000)} after GET / said FAILING: every one answered by an instance (${statuses.join(", ")}) and recorded; /readyz 200 throughout`;
	} finally {
		await fetch(`${sandbox}/__sandbox/faults`, { method: "DELETE" });
	}
}

/** Postbacks one after another, as CityBase sends them, while `disrupt` runs. */
async function postThrough(disrupt: Promise<unknown>, forMs: number): Promise<Answer[]> {
	const answers: Answer[] = [];
	const until = performance.now() + forMs;
	while (performance.now() < until) answers.push(await post(proxy, freshPostback().body));
	await disrupt;
	return answers;
}

/** The latencies, for the report: the slowest and the median, in ms. */
function latencies(answers: Answer[]): string {
	const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
	return `the slowest ${Math.round(ms.at(-1) ?? 0)} ms, the median ${Math.round(ms[Math.floor(ms.length / 2)] ?? 0)} ms`;
}

async function oneStopped(): Promise<string> {
	const stopping = compose(haFiles, ["stop", "--timeout", "30", "citybase-production-ha-1"]);
	const answers = await postThrough(stopping, 8_000);
	const bad = answers.filter((a) => a.status !== 200 || a.ms > 2_000);
	expect(
		bad.length === 0,
		`${bad.length} of ${answers.length} not 200 within 2 s: ${bad.map((a) => `${a.status} in ${seconds(a.ms)}`).join(", ")}`,
	);
	notes.push(`failover through the proxy, one instance stopped: ${answers.length} postbacks, ${latencies(answers)}`);
	await compose(haFiles, ["start", "citybase-production-ha-1"]);
	await inPool("ha-1");
	return `${answers.length} postbacks while ha-1 stopped: all 200, ${latencies(answers)}`;
}

async function oneKilled(): Promise<string> {
	const ha1 = await containerOf(haFiles, "citybase-production-ha-1");
	const killing = Bun.sleep(300).then(() => podman(["kill", ha1]));
	const answers = await postThrough(killing, 6_000);
	const failed = answers.filter((a) => a.status !== 200);
	const answered = answers.filter((a) => a.status === 200);
	const slow = answered.filter((a) => a.ms > 2_000);
	// The one postback ha-1 was answering when it died has no answer: CityBase redelivers it.
	expect(failed.length <= 1, `${failed.length} postbacks failed: ${failed.map((a) => a.status).join(", ")}`);
	expect(slow.length === 0, `${slow.length} answered after more than 2 s`);
	notes.push(
		`failover through the proxy, one instance killed: ${answers.length} postbacks, ${failed.length} cut off in flight, the others ${latencies(answered)}`,
	);
	await compose(haFiles, ["start", "citybase-production-ha-1"]);
	await inPool("ha-1");
	return `${answers.length} postbacks while ha-1 was killed: ${answered.length} 200 (${latencies(answered)}), ${failed.length} cut off in flight`;
}

// --- the run ------------------------------------------------------------------------------

const checkStarted = performance.now();
if (await scenario("stand-in base images (debootstrap, npm's bun, Debian's postgresql-15 and haproxy)", standInBases)) {
	if (await scenario("the image builds from the Dockerfile unchanged, without compiler or type packages", theImage)) {
		await scenario("the image alone: GET /, both fixtures, HEALTHCHECK, non-root, graceful stop", imageAlone);
		await scenario(
			"the image alone with a root-owned /data: one line naming the path, the uid and the fix",
			rootOwnedData,
		);
		await scenario("compose accepts every profile with .env copied from env-template unchanged", everyProfileAccepted);
		await scenario("the development profile with .env from env-template unchanged", developmentProfile);
		if (await scenario("production-ha: two instances, PostgreSQL, HAProxy", haUp)) {
			await scenario("production-ha: postbacks through the proxy reach both instances", spreadOverBoth);
			await scenario("production-ha: a console session works across both instances", consoleAcrossInstances);
			await scenario("production-ha: an instance whose store cannot be written leaves the pool", readOnlyStore);
			await scenario("production-ha: one instance stopped, the next postbacks all 200 within 2 s", oneStopped);
			await scenario("production-ha: one instance killed, the next postbacks all 200 within 2 s", oneKilled);
			// Last: the payments Knack refused are left to recovery, whose Knack calls would
			// slow the postbacks the failovers above time.
			await scenario(
				"production-ha: Knack refusing the keys for a minute past FAILING stops no postback",
				knackRefusesKeys,
			);
		}
		await compose(haFiles, ["down", "--volumes", "--timeout", "30"], { allowFailure: true });
	}
}
for (const note of notes) console.log(`  ${note}`);
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`scenarios: ${passed} passed, ${failed} failed in ${seconds(performance.now() - checkStarted)}`);
writeFileSync(join(scratch, "summary"), `${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
