import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The real CityBase postbacks kept as fixtures, read whole so that a new one is covered on arrival. */
const fixtures = join(import.meta.dir, "..", "fixtures");
export const examples = readdirSync(fixtures)
	.filter((name) => name.endsWith(".json"))
	.sort()
	.map((name) => ({ name, text: readFileSync(join(fixtures, name), "utf8") }));

/** The fields of a CityBase payment that hold card or bank data (the payer's, not the city's). */
export const cardAndBankFields = ["credit_card", "bank_account", "check_number"];

/** Every scalar held under a card or bank field, at any depth, as text. */
export function cardAndBankValues(value: unknown, inside = false): string[] {
	if (value === null || value === undefined) return [];
	if (typeof value !== "object") return inside ? [String(value)] : [];
	return Object.entries(value).flatMap(([key, child]) =>
		cardAndBankValues(child, inside || cardAndBankFields.includes(key)),
	);
}
