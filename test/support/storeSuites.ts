import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * `bun test/support/storeSuites.ts`: the test files that run on the store TEST_STORE
 * chooses, found rather than listed: every `*.test.ts` whose imports reach
 * `test/support/store.ts`, directly or through the harness or another support module.
 * `npm run test:postgres` runs exactly these on PostgreSQL, so a new suite over the
 * harness runs there without anyone adding it to a list. Type-only imports do not count:
 * they load nothing.
 */

const root = resolve(import.meta.dir, "../..");
const transpiler = new Bun.Transpiler({ loader: "ts" });

/** Each file's relative imports that load code, and theirs, from `files` on. */
function importGraph(files: string[]): Map<string, string[]> {
	const graph = new Map<string, string[]>();
	const pending = [...files];
	for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
		if (graph.has(file)) continue;
		const imports = transpiler
			.scanImports(readFileSync(file, "utf8"))
			.filter(({ path }) => path.startsWith(".") && path.endsWith(".ts"))
			.map(({ path }) => resolve(dirname(file), path));
		graph.set(file, imports);
		pending.push(...imports);
	}
	return graph;
}

export function storeSuites(): string[] {
	const tests = [...new Bun.Glob("test/**/*.test.ts").scanSync({ cwd: root })].sort();
	const graph = importGraph(tests.map((file) => join(root, file)));
	const reaching = new Set([join(root, "test/support/store.ts")]);
	for (let grew = true; grew; ) {
		grew = false;
		for (const [file, imports] of graph) {
			if (!reaching.has(file) && imports.some((i) => reaching.has(i))) {
				reaching.add(file);
				grew = true;
			}
		}
	}
	return tests.filter((file) => reaching.has(join(root, file))).map((file) => `./${file}`);
}

if (import.meta.main) {
	const suites = storeSuites();
	if (suites.length === 0) throw new Error("no test file reaches test/support/store.ts");
	console.log(suites.join("\n"));
}
