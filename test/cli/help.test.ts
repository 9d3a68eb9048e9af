import { expect, test } from "bun:test";
import { ExitCode } from "../../src/cli/io.ts";
import { commands } from "../../src/cli.ts";
import { cli } from "./support.ts";

/** Every command explains itself, and a wrong invocation says what is wrong (exit 2). */

test.each(commands.map((c) => [c.name, c] as const))(
	"%s --help shows its usage and every option",
	async (name, command) => {
		const r = await cli([...name.split(" "), "--help"]);
		expect(r.code).toBe(0);
		expect(r.stdout).toStartWith(`Usage: cli ${name}`);
		expect(r.stdout).toContain(command.summary);
		for (const option of Object.keys(command.options)) expect(r.stdout).toMatch(new RegExp(`^  --${option}\\b`, "m"));
		expect(r.stdout).toContain("-h, --help");
		const codes = r.stdout
			.split("\nExit codes:\n")[1]
			?.match(/^ +\d+(?= )/gm)
			?.map(Number);
		expect(codes).toEqual(
			[ExitCode.ok, ExitCode.failed, ExitCode.usage, ...(command.exits ?? []).map((e) => ExitCode[e]), 130].sort(
				(a, b) => a - b,
			),
		);
	},
);

test("pending has its own exit code, and replay and verify the quota's, each documented", async () => {
	expect((await cli(["pending", "--help"])).stdout).toMatch(/^ {4}3 {2}something is waiting for Knack \(pending\)/m);
	for (const name of ["replay", "verify"]) {
		expect((await cli([name, "--help"])).stdout).toMatch(/^ {3}75 {2}stopped at the Knack daily quota's reserve/m);
	}
});

test("the overview lists every command; a bare group lists its commands", async () => {
	const help = await cli(["--help"]);
	expect(help.code).toBe(0);
	for (const c of commands) expect(help.stdout).toContain(`  ${c.name}`);
	const listed = help.stdout
		.split("\nExit codes:\n")[1]
		?.match(/^ +(\d+) {2}\S/gm)
		?.map((l) => Number.parseInt(l, 10));
	expect(listed).toEqual(Object.values(ExitCode));
	expect((await cli([])).code).toBe(2);
	const group = await cli(["events"]);
	expect(group.code).toBe(2);
	expect(group.stdout).toContain("Usage: cli events list");
	expect(group.stdout).toContain("Usage: cli events show SEQ");
});

test("an unknown command or option is a usage error", async () => {
	const unknown = await cli(["evnets", "list"]);
	expect(unknown.code).toBe(2);
	expect(unknown.stderr).toStartWith('error: unknown command "evnets"');
	const option = await cli(["pending", "--colour"]);
	expect(option.code).toBe(2);
	expect(option.stderr).toStartWith("error: Unknown option '--colour'");
	expect(option.stderr).toContain("Usage: cli pending [options]");
	const extra = await cli(["rebuild", "now"]);
	expect(extra.code).toBe(2);
	expect(extra.stderr).toContain('unexpected argument "now"');
});
