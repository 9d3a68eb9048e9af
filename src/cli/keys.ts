import { keyUsage } from "../events/keyUsage.ts";
import { type Command, flag, jsonOption } from "./command.ts";
import { ExitCode } from "./io.ts";
import { counted, printJson, printTable } from "./output.ts";

/** `keys`: which keys protect the log's bodies, so an operator knows when an old one can go. */
export const keys: Command = {
	name: "keys",
	summary: "List the key ids that protect delivery bodies, with how many events each one protects.",
	details: [
		"current: encrypts new bodies (the first of EVENT_LOG_KEYS); listed: still decrypts; retired: no longer",
		"listed, so its bodies are unreadable (their events still replay, rebuild and verify). A listed key that",
		"protects no event can be removed without making any body unreadable. Only envelope headers are read:",
		"nothing is decrypted.",
	].join("\n"),
	options: { ...jsonOption },
	store: "reads",
	positionals: { min: 0, max: 0 },
	async run(args, ctx) {
		const keyring = ctx.config().eventLogKeys;
		const usage = await keyUsage(keyring, (await ctx.storage()).transfer.events());
		if (flag(args, "json")) {
			printJson(ctx.out, usage);
			return ExitCode.ok;
		}
		if (usage.keys.length > 0) {
			printTable(
				ctx.out,
				["KEY", "STATUS", "EVENTS"],
				usage.keys.map((k) => [k.keyId, k.status, String(k.events)]),
			);
		}
		if (!keyring) ctx.out.line("EVENT_LOG_KEYS is not set: new bodies are stored in clear");
		ctx.out.line(`${counted(usage.plain, "body", "bodies")} in clear (written before encryption, or without keys)`);
		if (usage.damaged > 0) {
			ctx.out.line(`${counted(usage.damaged, "body", "bodies")} damaged (not a readable envelope)`);
		}
		for (const k of usage.keys) {
			if (k.status !== "listed") continue;
			ctx.out.line(
				k.events === 0
					? `${k.keyId} protects no event: it can be removed from EVENT_LOG_KEYS`
					: `removing ${k.keyId} would make ${counted(k.events, "body", "bodies")} unreadable for good`,
			);
		}
		return ExitCode.ok;
	},
};
