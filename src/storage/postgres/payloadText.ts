import { customType } from "drizzle-orm/pg-core";

/**
 * Text that comes from a postback (invoice, status, effect and claim keys, Knack ids) in a PostgreSQL `text`
 * column. PostgreSQL cannot store U+0000 in text, yet CityBase's JSON can carry it and
 * SQLite keeps it, so such a value would fail the append (a 503 for a valid postback)
 * and an import from SQLite. It is stored as MARK followed by its JSON string instead,
 * and so is a value that happens to start with MARK, which keeps the encoding
 * reversible while every other value is stored, compared and read in psql as it is.
 */
const MARK = "\uffff";

export function toStoredText(value: string): string {
	return value.includes("\u0000") || value.startsWith(MARK) ? MARK + JSON.stringify(value) : value;
}

export function fromStoredText(stored: string): string {
	return stored.startsWith(MARK) ? (JSON.parse(stored.slice(MARK.length)) as string) : stored;
}

/** Drizzle applies the mapping to values written and read, and to the parameters of `eq(column, …)`. */
export const payloadText = customType<{ data: string; driverData: string }>({
	dataType: () => "text",
	toDriver: toStoredText,
	fromDriver: fromStoredText,
});
