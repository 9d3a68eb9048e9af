/**
 * Deployment parity checks: docker-compose.yml, docker-compose.production-ha.yml,
 * Dockerfile, .dockerignore and env-template, read as files (no engine needed; the engine
 * runs them in scripts/container-check.sh).
 *
 * Two linters from the devDependencies run here and in CI: dclint validates the compose
 * files against the compose-spec schema, dockerfile-utils lints the Dockerfile (hadolint
 * is in neither Debian nor npm). What only an engine can tell (that compose accepts the
 * files with .env copied from env-template, that the image builds and the profiles run)
 * is the container check's: scripts/container-check.sh, with Debian's docker-compose 1.29
 * through podman.
 *
 * CITYBASE_DEPLOY_ROOT points the checks at another checkout (used to prove that
 * each check fails on a broken copy); it defaults to the repository root.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(process.env.CITYBASE_DEPLOY_ROOT ?? join(import.meta.dir, "..", ".."));
const read = (name: string) => readFileSync(join(root, name), "utf8");

// ---------------------------------------------------------------------------
// docker-compose.yml and docker-compose.production-ha.yml
// ---------------------------------------------------------------------------

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

const haFile = "docker-compose.production-ha.yml";

function loadCompose(file = "docker-compose.yml"): { services: Record<string, Dict>; volumes: Dict } {
	const doc = Bun.YAML.parse(read(file));
	if (!isDict(doc) || !isDict(doc.services)) throw new Error(`${file} has no services`);
	return {
		services: doc.services as Record<string, Dict>,
		volumes: isDict(doc.volumes) ? doc.volumes : {},
	};
}

/** `environment:` as a map, whether written as a map or as `- KEY=value` lines. */
function environmentOf(service: Dict): Record<string, string> {
	const env = service.environment;
	if (Array.isArray(env)) {
		return Object.fromEntries(
			env.map((line) => {
				const [key, ...rest] = String(line).split("=");
				return [key ?? "", rest.join("=")];
			}),
		);
	}
	if (isDict(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
	return {};
}

/** `env_file:` as a list of paths (string, list of strings, or list of {path}). */
function envFilesOf(service: Dict): string[] {
	const value = service.env_file;
	const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
	return list.map((item) => (isDict(item) ? String(item.path) : String(item)));
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** Every `${…}` interpolation in a compose file's text, outside comments. */
function interpolations(file: string): string[] {
	const text = read(file)
		.split("\n")
		.map((line) => line.replace(/(^|\s)#.*$/, ""))
		.join("\n");
	const found: string[] = [];
	for (let at = text.indexOf("${"); at >= 0; at = text.indexOf("${", at + 2)) {
		let depth = 0;
		let end = at;
		for (; end < text.length; end++) {
			if (text.startsWith("${", end)) depth++;
			if (text[end] === "}" && --depth === 0) break;
		}
		found.push(text.slice(at, end + 1));
	}
	return found;
}

const profiles = [
	{
		profile: "development",
		service: "citybase-development",
		ports: ["5000:5000", "5001:5001"],
		volume: "citybase-data-development",
	},
	{
		profile: "staging",
		service: "citybase-staging",
		ports: ["172.17.0.1:13101:5000"],
		volume: "citybase-data-staging",
	},
	{
		profile: "uat",
		service: "citybase-uat",
		ports: ["172.17.0.1:13102:5000"],
		volume: "citybase-data-uat",
	},
	{
		profile: "production",
		service: "citybase-production",
		ports: ["172.17.0.1:13100:5000"],
		volume: "citybase-data-production",
	},
] as const;

/** production-ha: two instances on one PostgreSQL log behind a proxy, on production's port. */
const ha = {
	instances: ["citybase-production-ha-1", "citybase-production-ha-2"],
	postgres: "postgres",
	proxy: "citybase-proxy-production-ha",
} as const;

/** Every dict in a parsed compose file, however deep, for keys an older compose refuses. */
function* dicts(value: unknown): Generator<Dict> {
	if (Array.isArray(value)) for (const item of value) yield* dicts(item);
	if (!isDict(value)) return;
	yield value;
	for (const item of Object.values(value)) yield* dicts(item);
}

describe.each(["docker-compose.yml", haFile])("%s runs under docker-compose 1.29 as well as Compose v2", (file) => {
	// biome-ignore lint/suspicious/noTemplateCurlyInString: compose's interpolation, not a JavaScript template
	test("no nested default in a variable (1.29 mangles `${A:-x${B}}`)", () => {
		for (const expression of interpolations(file)) expect(expression.slice(2)).not.toContain("${");
	});

	test("no depends_on with restart (Compose 2.17 and later only)", () => {
		for (const service of Object.values(loadCompose(file).services)) {
			for (const condition of dicts(service.depends_on)) expect(condition).not.toHaveProperty("restart");
		}
	});

	test("passes dclint: the compose-spec schema and dclint's error rules", () => {
		// Errors only: its warnings are key-order and quoting style. no-unbound-port-interfaces
		// is off because development publishes on every interface on purpose; the bridge-only
		// binding of the others is checked below.
		const run = Bun.spawnSync(
			[
				process.execPath,
				join(import.meta.dir, "..", "..", "node_modules", "dclint", "bin", "dclint.cjs"),
				join(root, file),
				"--quiet",
				"--formatter",
				"json",
				"--disable-rule",
				"no-unbound-port-interfaces",
			],
			{ cwd: root },
		);
		const problems = JSON.parse(run.stdout.toString() || "null");
		expect({ exit: run.exitCode, problems, stderr: run.stderr.toString() }).toEqual({
			exit: 0,
			problems: [],
			stderr: "",
		});
	});
});

describe("docker-compose.yml", () => {
	test("has exactly the four single-instance profiles, one service each", () => {
		const { services } = loadCompose();
		const byProfile: Record<string, string[]> = {};
		for (const [name, service] of Object.entries(services)) {
			const list = strings(service.profiles);
			expect(list, `service ${name} must belong to exactly one profile`).toHaveLength(1);
			for (const p of list) byProfile[p] = [...(byProfile[p] ?? []), name];
		}
		expect(Object.keys(byProfile).sort()).toEqual(["development", "production", "staging", "uat"]);
		for (const { profile, service } of profiles) expect(byProfile[profile]).toEqual([service]);
	});

	test("every profile starts with .env copied from env-template unchanged: no variable it must be given", () => {
		// Compose interpolates the whole file before it picks a profile's services
		// (docker/compose#11977): one required variable would stop all four.
		expect(interpolations("docker-compose.yml").filter((e) => !/^\$\{[A-Z0-9_]+:?-[^}]*\}$/.test(e))).toEqual([]);
	});

	test.each(profiles)(
		"$profile: port, volume, restart, env_file, CITYBASE_ENV",
		({ profile, service, ports, volume }) => {
			const { services, volumes } = loadCompose();
			const s = services[service];
			if (!s) throw new Error(`no service ${service}`);
			expect(strings(s.profiles)).toEqual([profile]);
			expect(strings(s.ports)).toEqual([...ports]);
			expect(s.restart).toBe("unless-stopped");
			expect(envFilesOf(s)).toContain(".env");
			expect(s.build).toBeDefined();

			const env = environmentOf(s);
			expect(env.CITYBASE_ENV).toBe(profile);
			// Set in `environment` so a stray line in .env cannot move the service off the
			// port mapping or write the event log outside the volume.
			expect(env.DATABASE_PATH).toBe("/data/citybase.sqlite");
			expect(env.PORT).toBe("5000");
			expect(env.HOST).toBe("0.0.0.0");
			expect(env.TZ).toBe("America/Chicago");

			expect(strings(s.volumes)).toContain(`${volume}:/data`);
			expect(Object.keys(volumes)).toContain(volume);
		},
	);

	test("each environment keeps its event log in its own named volume", () => {
		const { services } = loadCompose();
		const dataVolumes = profiles.map(
			({ service }) =>
				strings(services[service]?.volumes)
					.find((v) => v.endsWith(":/data"))
					?.split(":")[0],
		);
		expect(new Set(dataVolumes).size).toBe(profiles.length);
		// A named volume, not a bind mount of some host folder.
		for (const v of dataVolumes) expect(v).toMatch(/^[a-z0-9][a-z0-9_.-]*$/);
	});

	test("staging, uat and production are reachable only on the docker bridge address", () => {
		const { services } = loadCompose();
		for (const { profile, service } of profiles) {
			if (profile === "development") continue;
			for (const port of strings(services[service]?.ports)) expect(port.startsWith("172.17.0.1:")).toBe(true);
		}
	});

	test("development mounts the sources and publishes the Knack sandbox port", () => {
		const { services } = loadCompose();
		const dev = services["citybase-development"];
		if (!dev) throw new Error("no development service");
		const mounts = strings(dev.volumes);
		expect(mounts.some((m) => m.startsWith("./src:/app/src"))).toBe(true);
		expect(environmentOf(dev).KNACK_SANDBOX_PORT).toBe("5001");
	});
});

describe(haFile, () => {
	const service = (name: string): Dict => {
		const s = loadCompose(haFile).services[name];
		if (!s) throw new Error(`no service ${name}`);
		return s;
	};
	/** The one required variable, with a message naming it and this file. */
	const password =
		/^\$\{POSTGRES_PASSWORD:\?set POSTGRES_PASSWORD in \.env[^}]*docker-compose\.production-ha\.yml[^}]*\}$/;

	test("holds production-ha alone: two instances, PostgreSQL and the proxy, no profiles", () => {
		const { services } = loadCompose(haFile);
		expect(Object.keys(services).sort()).toEqual([...ha.instances, ha.postgres, ha.proxy].sort());
		for (const s of Object.values(services)) expect(s.profiles).toBeUndefined();
	});

	test("POSTGRES_PASSWORD is the one variable it requires, and the message names it and this file", () => {
		const required = interpolations(haFile).filter((e) => e.includes(":?"));
		expect(required.length).toBeGreaterThan(0);
		for (const expression of required) expect(expression).toMatch(password);
	});

	test.each(ha.instances)("%s: a production instance on the postgres service, started once it is healthy", (name) => {
		const s = service(name);
		expect(s.build).toBeDefined();
		expect(s.restart).toBe("unless-stopped");
		expect(envFilesOf(s)).toContain(".env");
		// Only the proxy reaches the instances.
		expect(s.ports).toBeUndefined();
		const env = environmentOf(s);
		expect(env.CITYBASE_ENV).toBe("production");
		expect(env.PORT).toBe("5000");
		expect(env.HOST).toBe("0.0.0.0");
		// The postgres service with .env's password: never a literal one.
		const [, user, secret, rest] = /^postgres:\/\/([^:]+):(\$\{[^}]*\})@(.*)$/.exec(env.DATABASE_URL ?? "") ?? [];
		expect({ user, rest }).toEqual({ user: "citybase", rest: "postgres:5432/citybase" });
		expect(secret).toMatch(password);
		const dependsOn = s.depends_on;
		expect(isDict(dependsOn) && isDict(dependsOn[ha.postgres]) && dependsOn[ha.postgres]).toEqual({
			condition: "service_healthy",
		});
	});

	test("postgres: a pinned official image, a fixed-name volume, pg_isready, the password from .env", () => {
		const { volumes } = loadCompose(haFile);
		const s = service(ha.postgres);
		expect(String(s.image)).toMatch(/^postgres:\d+\.\d+-[a-z]+$/);
		expect(s.restart).toBe("unless-stopped");
		const data = strings(s.volumes).find((v) => v.endsWith(":/var/lib/postgresql/data"));
		const volume = data?.split(":")[0] ?? "";
		expect(volume).toMatch(/^[a-z0-9][a-z0-9_.-]*$/);
		expect(volumes[volume]).toEqual({ name: volume });
		const healthcheck = isDict(s.healthcheck) ? s.healthcheck : {};
		expect(strings(healthcheck.test).join(" ")).toContain("pg_isready");
		expect(environmentOf(s).POSTGRES_PASSWORD).toMatch(password);
	});

	test("the proxy: a pinned official image, production's port, its committed config balancing over both instances by readiness", () => {
		const s = service(ha.proxy);
		expect(String(s.image)).toMatch(/^haproxy:\d+\.\d+\.\d+(-[a-z]+)?$/);
		expect(s.restart).toBe("unless-stopped");
		expect(strings(s.ports)).toEqual(["172.17.0.1:13100:8080"]);
		const mount = strings(s.volumes).find((v) => v.endsWith(":/usr/local/etc/haproxy/haproxy.cfg:ro"));
		expect(mount?.split(":")[0]).toBe("./deploy/haproxy.cfg");
		const config = read("deploy/haproxy.cfg");
		expect(config).toMatch(/^\s*bind :8080$/m);
		// HTTP/1.1 with a Host, on readiness: `option httpchk GET /` sent HTTP/1.0 without
		// one (answered 200 whatever the state), and GET / fails for what all instances share.
		expect(config).toMatch(/^\s*option httpchk$/m);
		expect(config).toMatch(/^\s*http-check send meth GET uri \/readyz ver HTTP\/1\.1 hdr Host \S+$/m);
		expect(config).toMatch(/^\s*default-server check\b/m);
		expect(config).toMatch(/^\s*option redispatch\b/m);
		for (const instance of ha.instances)
			expect(config).toMatch(new RegExp(`^\\s*server \\S+ ${instance}:5000\\b`, "m"));
	});

	test("no literal password anywhere in the file", () => {
		const text = read(haFile);
		expect(text).not.toMatch(/^\s*-?\s*[A-Z_]*PASSWORD[A-Z_]*[:=]\s*(?!\$\{)\S/m);
		expect(text).not.toMatch(/postgres(ql)?:\/\/[^:\s]+:(?!\$\{)[^@\s]+@/);
	});
});

// ---------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------

interface Instruction {
	keyword: string;
	args: string;
	stage: number;
}

/** Instructions with continuation lines joined and comments dropped; `stage` counts FROMs. */
function parseDockerfile(text: string): Instruction[] {
	const out: Instruction[] = [];
	let stage = -1;
	let pending = "";
	for (const raw of text.split("\n")) {
		const line = raw.trim();
		if (pending === "" && (line === "" || line.startsWith("#"))) continue;
		if (pending !== "" && line.startsWith("#")) continue;
		if (line.endsWith("\\")) {
			pending += `${line.slice(0, -1)} `;
			continue;
		}
		const full = (pending + line).trim();
		pending = "";
		if (full === "") continue;
		const match = /^(\S+)\s*(.*)$/.exec(full);
		if (!match) continue;
		const keyword = (match[1] ?? "").toUpperCase();
		if (keyword === "FROM") stage += 1;
		out.push({ keyword, args: match[2] ?? "", stage });
	}
	return out;
}

/** ENV in both forms: `ENV A=1 B="2"` and the legacy `ENV A 1`. */
function envOf(instructions: Instruction[]): Record<string, string> {
	const env: Record<string, string> = {};
	for (const { keyword, args } of instructions) {
		if (keyword !== "ENV") continue;
		if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
			const [key, ...rest] = args.split(/\s+/);
			env[key ?? ""] = rest.join(" ");
			continue;
		}
		for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|(\S*))/g)) {
			env[m[1] ?? ""] = m[3] ?? m[4] ?? m[5] ?? "";
		}
	}
	return env;
}

/** Exec-form (`["a","b"]`) or shell-form argument list. */
function argv(args: string): string[] {
	const trimmed = args.trim();
	if (trimmed.startsWith("[")) return JSON.parse(trimmed) as string[];
	return trimmed.split(/\s+/);
}

function bunVersion(): string {
	const pkg = JSON.parse(read("package.json")) as {
		devDependencies?: Record<string, string>;
	};
	const range = pkg.devDependencies?.bun;
	if (!range) throw new Error("package.json has no `bun` devDependency");
	const version = range.replace(/^[\^~=v]+/, "");
	if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`bun devDependency "${range}" is not a plain version`);
	return version;
}

describe("Dockerfile", () => {
	const instructions = () => parseDockerfile(read("Dockerfile"));
	const finalStage = () => {
		const all = instructions();
		const last = Math.max(...all.map((i) => i.stage));
		return all.filter((i) => i.stage === last);
	};

	test("every base image is oven/bun pinned to the bun devDependency version", () => {
		const version = bunVersion();
		const stageNames = new Set<string>();
		const froms = instructions().filter((i) => i.keyword === "FROM");
		expect(froms.length).toBeGreaterThanOrEqual(2); // multi-stage
		for (const { args } of froms) {
			const words = args.split(/\s+/).filter((w) => !w.startsWith("--"));
			const image = words[0] ?? "";
			const alias = words[1]?.toUpperCase() === "AS" ? words[2] : undefined;
			if (!stageNames.has(image.toLowerCase())) {
				const m = /^(?:docker\.io\/)?oven\/bun:([^@\s]+)/.exec(image);
				expect(m, `base image ${image} must be oven/bun:<version>[-variant]`).not.toBeNull();
				const tag = m?.[1] ?? "";
				expect(
					tag === version || tag.startsWith(`${version}-`),
					`tag ${tag} must be ${version} or ${version}-<variant>`,
				).toBe(true);
			}
			if (alias) stageNames.add(alias.toLowerCase());
		}
	});

	test("no `latest` tag anywhere", () => {
		expect(read("Dockerfile")).not.toMatch(/:latest\b/i);
		for (const { keyword, args } of instructions()) {
			if (keyword === "FROM") expect(args.split(/\s+/)[0] ?? "").toContain(":");
		}
	});

	test("production dependencies are installed from the lockfile, without dev dependencies", () => {
		const all = instructions();
		const copiesLock = all.some((i) => i.keyword === "COPY" && /\bpackage-lock\.json\b|\bbun\.lockb?\b/.test(i.args));
		expect(copiesLock).toBe(true);
		const install = all.find((i) => i.keyword === "RUN" && /\b(bun install|npm ci)\b/.test(i.args));
		expect(install, "an install step").toBeDefined();
		const args = install?.args ?? "";
		if (/\bbun install\b/.test(args)) {
			expect(args).toContain("--production");
			expect(args).toContain("--frozen-lockfile");
		} else {
			expect(args).toMatch(/--omit[= ]dev|--production/);
		}
	});

	/** The Dockerfile's own `bun install …`, run as a dry run over a copy of what its stage copies first. */
	function dockerInstall(packageJson: string) {
		const install = instructions().find((i) => i.keyword === "RUN" && /\bbun install\b/.test(i.args));
		const command =
			/\bbun install\b[^;&|]*/
				.exec(install?.args ?? "")?.[0]
				.trim()
				.split(/\s+/) ?? [];
		expect(command.slice(0, 2)).toEqual(["bun", "install"]);
		const dir = mkdtempSync(join(tmpdir(), "citybase-docker-install-"));
		try {
			writeFileSync(join(dir, "package.json"), packageJson);
			for (const name of ["package-lock.json", "bunfig.toml"]) writeFileSync(join(dir, name), read(name));
			const run = Bun.spawnSync([process.execPath, ...command.slice(1), "--dry-run"], { cwd: dir });
			return { exit: run.exitCode, output: run.stdout.toString() + run.stderr.toString() };
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	}

	test("its `bun install --production --frozen-lockfile` accepts package-lock.json as it stands (a dry run)", () => {
		const { exit, output } = dockerInstall(read("package.json"));
		expect({ exit, output: exit === 0 ? "" : output }).toEqual({ exit: 0, output: "" });
	});

	test("…and refuses a package.json the lock does not satisfy, so the check can fail", () => {
		const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string> };
		pkg.dependencies["left-pad"] = "^1.3.0";
		const { exit, output } = dockerInstall(JSON.stringify(pkg));
		expect(exit).not.toBe(0);
		expect(output).toContain("left-pad was added");
	});

	test("runs as a non-root user", () => {
		const users = finalStage().filter((i) => i.keyword === "USER");
		expect(users.length, "a USER instruction in the final stage").toBeGreaterThan(0);
		const user = (users.at(-1)?.args ?? "").split(":")[0]?.trim();
		expect(["", "root", "0"]).not.toContain(user);
	});

	test("sets TZ, NODE_ENV and DATABASE_PATH", () => {
		const env = envOf(finalStage());
		expect(env.TZ).toBe("America/Chicago");
		expect(env.NODE_ENV).toBe("production");
		expect(env.DATABASE_PATH).toBe("/data/citybase.sqlite");
	});

	test("declares VOLUME /data and EXPOSE 5000", () => {
		const stage = finalStage();
		const volumes = stage.filter((i) => i.keyword === "VOLUME").flatMap((i) => argv(i.args));
		expect(volumes).toContain("/data");
		const exposed = stage.filter((i) => i.keyword === "EXPOSE").flatMap((i) => argv(i.args));
		expect(exposed.map((p) => p.replace(/\/tcp$/, ""))).toContain("5000");
	});

	test("has a HEALTHCHECK on GET /readyz that needs no curl or wget", () => {
		const checks = finalStage().filter((i) => i.keyword === "HEALTHCHECK");
		expect(checks).toHaveLength(1);
		const args = checks[0]?.args ?? "";
		expect(args).toMatch(/\bCMD\b/);
		expect(args).not.toMatch(/\bNONE\b/);
		// The slim and distroless Bun images ship neither curl nor wget.
		expect(args).not.toMatch(/\b(curl|wget)\b/);
		expect(args).toMatch(/127\.0\.0\.1|localhost/);
		// Readiness, not GET /: a FAILING health may be a trouble every instance shares.
		expect(args).toContain("/readyz");
	});

	test("CMD runs bun src/index.ts", () => {
		const cmds = finalStage().filter((i) => i.keyword === "CMD");
		expect(cmds.length).toBeGreaterThan(0);
		expect(argv(cmds.at(-1)?.args ?? "")).toEqual(["bun", "src/index.ts"]);
	});

	test("src imports only production dependencies (the image installs no devDependencies)", () => {
		const pkg = JSON.parse(read("package.json")) as { dependencies?: Record<string, string> };
		const allowed = new Set(Object.keys(pkg.dependencies ?? {}));
		const missing = new Set<string>();
		// Bun's own parser lists the runtime imports (type-only imports are dropped).
		const transpiler = new Bun.Transpiler({ loader: "ts" });
		for (const file of new Bun.Glob("src/**/*.{ts,tsx,js,mjs}").scanSync({ cwd: root })) {
			for (const { path: spec } of transpiler.scanImports(readFileSync(join(root, file), "utf8"))) {
				if (spec.startsWith(".") || spec.startsWith("/") || /^(bun|node):/.test(spec) || spec === "bun") continue;
				const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : (spec.split("/")[0] ?? spec);
				if (!allowed.has(name)) missing.add(`${name} (${file})`);
			}
		}
		expect([...missing].sort()).toEqual([]);
	});

	test("copies the migrations the service applies at start-up", () => {
		const copies = finalStage().filter((i) => i.keyword === "COPY" && !i.args.includes("--from"));
		expect(copies.some((i) => /(^|\s)(\.\/)?drizzle\/?(\s|$)/.test(i.args))).toBe(true);
		expect(copies.some((i) => /(^|\s)(\.\/)?src\/?(\s|$)/.test(i.args))).toBe(true);
	});

	// dockerfile-utils (npm, a devDependency; the linter behind VS Code's Dockerfile
	// support) prints one block per problem and nothing for a clean file.
	test("passes dockerfile-utils lint", () => {
		const bin = join(import.meta.dir, "..", "..", "node_modules", ".bin", "dockerfile-utils");
		const run = Bun.spawnSync([bin, "lint", join(root, "Dockerfile")]);
		expect(run.stdout.toString() + run.stderr.toString()).toBe("");
		expect(run.exitCode).toBe(0);
	});
});

describe(".dockerignore", () => {
	test("keeps local state, secrets, VCS and tests out of the build context", () => {
		const entries = read(".dockerignore")
			.split("\n")
			.map((l) => l.trim().replace(/^\/+|\/+$/g, ""))
			.filter((l) => l !== "" && !l.startsWith("#"));
		for (const name of ["node_modules", "data", "dist", ".git", "test", ".env"]) expect(entries).toContain(name);
	});
});

// ---------------------------------------------------------------------------
// env-template
// ---------------------------------------------------------------------------

/** Names documented in env-template, commented out (`# NAME=`) or not. */
function templateNames(): Set<string> {
	const names = new Set<string>();
	for (const line of read("env-template").split("\n")) {
		const m = /^\s*#?\s*([A-Z][A-Z0-9_]*)=/.exec(line);
		if (m?.[1]) names.add(m[1]);
	}
	return names;
}

/** Every variable the service is documented to read (docs/design.md §7 and the README's configuration table). */
const documentedVariables = [
	"CITYBASE_ENV",
	"FLASK_ENV",
	"HOST",
	"PORT",
	"DATABASE_PATH",
	"KNACK_API_URL",
	"KNACK_STREET_BANNER_APP_ID",
	"KNACK_STREET_BANNER_API_KEY",
	"KNACK_SMART_MOBILITY_APP_ID",
	"KNACK_SMART_MOBILITY_API_KEY",
	"KNACK_RATE_LIMIT",
	"KNACK_TIMEOUT_SECONDS",
	"POSTBACK_DEADLINE_SECONDS",
	"CLAIM_LEASE_SECONDS",
	"RECOVERY_INTERVAL_SECONDS",
	"RECOVERY_MAX_ATTEMPTS",
	"RECOVERY_MAX_AGE_HOURS",
	"POSTBACK_TOKENS",
	"POSTBACK_AUTH",
	"ADMIN_TOKEN",
	"EVENT_LOG_KEYS",
	"EVENT_LOG_ENCRYPTION",
	"MAX_BODY_BYTES",
	"LOG_LEVEL",
	"AWS_DEFAULT_REGION",
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
	"KNACK_SANDBOX_PORT",
	"TZ",
];

/** Upper-case string literals in config.ts that are values, not variable names. */
const notVariables = new Set([
	"STREET_BANNER",
	"SMART_MOBILITY",
	"PRODUCTION",
	"UAT",
	"LAMPPOST",
	"OVER_THE_STREET",
	"PAID",
	"VOID",
	"REFUND",
	"OK",
	"GET",
	"POST",
	"PUT",
]);

/**
 * Names of environment variables read by a config module, found statically:
 * `process.env.X`, `Bun.env.X`, `env.X`, `env?.X`, `env["X"]`, and any string
 * literal that is exactly an upper-case name (`text(env, "X")`, `int("X", 10)`,
 * `["X_APP_ID", "X_API_KEY"]`), less the known value words above.
 */
export function variablesReadBy(source: string): Set<string> {
	const names = new Set<string>();
	const name = "([A-Z][A-Z0-9_]*)";
	const patterns = [new RegExp(`\\benv\\??\\.${name}\\b`, "g"), new RegExp(`["'\`]${name}["'\`]`, "g")];
	for (const pattern of patterns) {
		for (const m of source.matchAll(pattern)) {
			const found = m[1];
			if (found && !notVariables.has(found)) names.add(found);
		}
	}
	return names;
}

/**
 * Names read by a settings module's exported readers (`loadConfig(env)`, and any
 * `somethingFromEnv(env, environment)`): each is called with a recording env, once
 * empty (development defaults) and once as production with every documented
 * variable set, so reads behind a condition are seen too.
 */
async function variablesReadAtRunTime(path: string): Promise<Set<string>> {
	const names = new Set<string>();
	const mod = (await import(path)) as Record<string, unknown>;
	const readers = Object.entries(mod).filter(
		([name, value]) => typeof value === "function" && (name === "loadConfig" || /FromEnv$/.test(name)),
	);
	const filled: Record<string, string> = Object.fromEntries(documentedVariables.map((n) => [n, "1"]));
	Object.assign(filled, {
		CITYBASE_ENV: "production",
		FLASK_ENV: "production",
		HOST: "0.0.0.0",
		PORT: "5000",
		MAX_BODY_BYTES: "262144",
		KNACK_API_URL: "https://api.knack.com/v1",
		AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: "http://127.0.0.1:4566",
		POSTBACK_AUTH: "none",
		EVENT_LOG_KEYS: `k1:${Buffer.alloc(32).toString("base64")}`,
		EVENT_LOG_ENCRYPTION: "",
		LOG_LEVEL: "info",
		TZ: "America/Chicago",
	});
	for (const [, reader] of readers) {
		for (const values of [{}, filled] as Record<string, string>[]) {
			const env = new Proxy(values, {
				get(target, key) {
					if (typeof key === "string") names.add(key);
					return typeof key === "string" ? target[key] : undefined;
				},
			});
			try {
				(reader as (env: unknown, environment: string) => unknown)(env, values.CITYBASE_ENV ?? "development");
			} catch {
				// a rejected value still shows which names were read before it
			}
		}
	}
	return names;
}

/** Modules that read the environment; each is checked against env-template when present. */
const settingsModules = ["src/config.ts", "src/logging/setup.ts"];

describe("env-template", () => {
	test("documents every configuration variable", () => {
		const names = templateNames();
		const missing = documentedVariables.filter((n) => !names.has(n));
		expect(missing).toEqual([]);
	});

	test("sets TZ=America/Chicago and fills in no secret", () => {
		const active = read("env-template")
			.split("\n")
			.filter((l) => /^\s*[A-Z][A-Z0-9_]*=/.test(l))
			.map((l) => l.trim());
		expect(active).toContain("TZ=America/Chicago");
		for (const line of active) {
			if (/(KEY|TOKEN|SECRET|APP_ID)[A-Z_]*=/.test(line)) expect(line).toMatch(/=\s*(""|'')?\s*$/);
		}
	});

	test("the extractor finds variables in the usual ways of reading them", () => {
		const sample = `
			const a = process.env.ALPHA_ONE; const b = Bun.env.BETA; const c = env["GAMMA_X"];
			const d = int("DELTA_SECONDS", 20); const e = text(env, 'EPSILON'); const f = env?.ZETA;
			const pair = ["ETA_APP_ID", "ETA_API_KEY"]; const app = "STREET_BANNER"; const level = "info";
			throw new Error("THETA must be set");`;
		expect([...variablesReadBy(sample)].sort()).toEqual([
			"ALPHA_ONE",
			"BETA",
			"DELTA_SECONDS",
			"EPSILON",
			"ETA_API_KEY",
			"ETA_APP_ID",
			"GAMMA_X",
			"ZETA",
		]);
	});

	for (const module of settingsModules) {
		const path = join(root, module);
		const present = existsSync(path);
		test.skipIf(!present)(
			present
				? `names every variable ${module} reads`
				: `names every variable ${module} reads (${module} absent: skipped)`,
			async () => {
				const found = variablesReadBy(readFileSync(path, "utf8"));
				for (const n of await variablesReadAtRunTime(path)) found.add(n);
				expect(found.size, `no environment reads recognised in ${module}: update variablesReadBy`).toBeGreaterThan(0);
				const names = templateNames();
				expect([...found].filter((n) => !names.has(n)).sort()).toEqual([]);
			},
		);
		if (!present) console.warn(`[deploy] ${module} not found: its env-template check skipped`);
	}
});
