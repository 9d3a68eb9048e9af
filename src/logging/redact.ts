/**
 * Redaction for log lines: known secret values are masked wherever they appear, and
 * values under sensitive keys are masked whatever they hold. It runs on every line, so
 * it does one pass per line and allocates nothing when there is nothing to hide.
 */
export const REDACTED = "[REDACTED]";

// Card and bank details are named exactly by the CityBase payload; secret-looking keys
// are matched by suffix so `knack_api_key`, `adminToken` or `x-knack-rest-api-key` count.
const sensitiveKey =
	/^(?:credit_card|bank_account|check_number)$|(?:api[_-]?key|authorization|password|secret|secret[_-]?access[_-]?key|token)$/i;

function isSensitiveKey(key: string): boolean {
	return sensitiveKey.test(key);
}

/**
 * Whether `value` holds a sensitive key or an Error at any depth, i.e. whether it needs
 * `redactingReplacer`. Walking in JS is several times cheaper than a replacer called back
 * from JSON.stringify for every key, and most lines hold neither. Past `maxDepth` it answers
 * true, leaving a cycle to JSON.stringify, which reports it.
 */
export function needsReplacer(value: unknown, maxDepth = 16): boolean {
	if (typeof value !== "object" || value === null) return false;
	if (maxDepth === 0 || value instanceof Error) return true;
	if (Array.isArray(value)) {
		for (const item of value) if (needsReplacer(item, maxDepth - 1)) return true;
		return false;
	}
	for (const key in value) {
		if (isSensitiveKey(key) || needsReplacer((value as Record<string, unknown>)[key], maxDepth - 1)) return true;
	}
	return false;
}

/**
 * A JSON.stringify replacer. A null card or bank field stays null: it says which kind of
 * payment this was and hides nothing. Errors would otherwise serialize as `{}`.
 */
export function redactingReplacer(key: string, value: unknown): unknown {
	if (value === null || value === undefined) return value;
	if (key !== "" && isSensitiveKey(key)) return REDACTED;
	if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
	return value;
}

/**
 * Masks every occurrence of the given secrets in a line. A secret can reach a JSON line
 * escaped (quotes, backslashes, control characters) or URL-encoded (in a logged URL), so
 * each of those spellings is masked too. Longest first, so a secret containing another is
 * masked whole.
 */
export function createSecretMasker(secrets: readonly string[]): (line: string) => string {
	const spellings = new Set<string>();
	for (const secret of secrets) {
		if (secret.trim() === "") continue;
		spellings.add(secret);
		spellings.add(JSON.stringify(secret).slice(1, -1));
		spellings.add(encodeURIComponent(secret));
	}
	const ordered = [...spellings].sort((a, b) => b.length - a.length);
	return (line) => {
		let out = line;
		for (const spelling of ordered) {
			if (out.includes(spelling)) out = out.replaceAll(spelling, REDACTED);
		}
		return out;
	};
}

const payloadKeys = ["credit_card", "bank_account", "check_number"];

/**
 * Masks the values of `credit_card`, `bank_account` and `check_number` in a raw JSON body, leaving every
 * other byte as received. It scans tokens rather than parsing, so it also works on a body
 * that is not valid JSON (the bodies most worth logging); a value cut off by the end of the
 * text is masked to the end.
 */
export function redactPayloadText(raw: string): string {
	if (!payloadKeys.some((k) => raw.includes(k))) return raw;
	let out = "";
	let copiedUpTo = 0;
	let i = 0;
	while (i < raw.length) {
		if (raw[i] !== '"') {
			i++;
			continue;
		}
		const stringEnd = skipString(raw, i);
		const token = raw.slice(i + 1, stringEnd - 1);
		i = stringEnd;
		if (!payloadKeys.includes(token)) continue;
		const colon = skipWhitespace(raw, i);
		if (raw[colon] !== ":") continue;
		const valueStart = skipWhitespace(raw, colon + 1);
		const valueEnd = skipValue(raw, valueStart);
		if (raw.startsWith("null", valueStart) && valueEnd === valueStart + 4) {
			i = valueEnd;
			continue;
		}
		out += `${raw.slice(copiedUpTo, valueStart)}"${REDACTED}"`;
		copiedUpTo = valueEnd;
		i = valueEnd;
	}
	return copiedUpTo === 0 ? raw : out + raw.slice(copiedUpTo);
}

/** Index just past the string starting at `start` (a quote), or the end of the text. */
function skipString(text: string, start: number): number {
	let i = start + 1;
	while (i < text.length) {
		const c = text[i];
		if (c === "\\") i += 2;
		else if (c === '"') return i + 1;
		else i++;
	}
	return text.length;
}

function skipWhitespace(text: string, start: number): number {
	let i = start;
	while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")) i++;
	return i;
}

/** Index just past the JSON value starting at `start`: a string, a balanced object or array, or a scalar. */
function skipValue(text: string, start: number): number {
	const first = text[start];
	if (first === '"') return skipString(text, start);
	if (first !== "{" && first !== "[") {
		let i = start;
		while (i < text.length && !",}]\n\r".includes(text[i] as string)) i++;
		return i;
	}
	let depth = 0;
	let i = start;
	while (i < text.length) {
		const c = text[i];
		if (c === '"') {
			i = skipString(text, i);
			continue;
		}
		if (c === "{" || c === "[") depth++;
		else if (c === "}" || c === "]") depth--;
		i++;
		if (depth === 0) return i;
	}
	return text.length;
}
