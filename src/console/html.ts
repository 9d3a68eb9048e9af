/**
 * Server-side HTML as tagged templates. Every interpolated value is escaped unless it
 * is itself `Html` made by this tag, so text from outside (payment ids, invoices,
 * Knack's error bodies, an operator's name) can never become markup: there is no
 * "raw" escape hatch to misuse. Chosen over JSX so the service keeps running straight
 * from `bun src/index.ts` and the single executable with no JSX settings or plugin.
 */
export class Html {
	constructor(readonly text: string) {}
	toString(): string {
		return this.text;
	}
}

export type Part = Html | string | number | null | undefined | false | readonly Part[];

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
	let text = strings[0] ?? "";
	values.forEach((value, i) => {
		text += render(value) + (strings[i + 1] ?? "");
	});
	return new Html(text);
}

function render(value: Part): string {
	if (value === null || value === undefined || value === false) return "";
	if (value instanceof Html) return value.text;
	if (Array.isArray(value)) return value.map(render).join("");
	return escapeHtml(String(value));
}

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => entities[c] as string);
}
