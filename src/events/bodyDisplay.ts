import { redactingReplacer, redactPayloadText } from "../logging/redact.ts";
import type { OpenedBody } from "./bodyCipher.ts";

/**
 * A delivery body as an operator reads it (`cli events show`): card and bank details
 * masked the way the logger masks them, unless the operator asked to reveal them (and
 * the caller logs that they did). Export and backup never come here; they keep the bytes.
 */
export function bodyForDisplay(opened: OpenedBody, options: { reveal: boolean }): string {
	if (opened.state === "unreadable") return `(unreadable: ${opened.reason})`;
	const text = new TextDecoder().decode(opened.bytes);
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		// The bodies that fail to parse are the rejected ones, the likeliest to be looked at.
		return options.reveal ? text : redactPayloadText(text);
	}
	// Both views are laid out the same, so they differ only where something was masked.
	return JSON.stringify(parsed, options.reveal ? undefined : redactingReplacer, 2);
}
