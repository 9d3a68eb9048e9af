/**
 * Knack's list query: `filters` (URL-encoded JSON), `rows_per_page` and `page`.
 * Rules compare against the stored raw value; connections compare by record id.
 */
import { isConnectionList, type StoredRecord } from "./records.ts";

const OPERATORS = ["is", "is not", "contains", "is blank", "is not blank"] as const;
type Operator = (typeof OPERATORS)[number];

interface Rule {
	field: string;
	operator: Operator;
	value: unknown;
}

export interface ListQuery {
	match: "and" | "or";
	rules: Rule[];
	rowsPerPage: number;
	page: number;
}

export class QueryError extends Error {}

const DEFAULT_ROWS_PER_PAGE = 25;
const MAX_ROWS_PER_PAGE = 1000;

function positiveInteger(name: string, text: string | null, fallback: number): number {
	if (text === null) return fallback;
	const n = Number(text);
	if (!Number.isInteger(n) || n < 1) throw new QueryError(`${name} must be a positive integer`);
	return n;
}

function parseRule(rule: unknown): Rule {
	if (typeof rule !== "object" || rule === null) throw new QueryError("each filter rule must be an object");
	const { field, operator, value } = rule as Record<string, unknown>;
	if (typeof field !== "string") throw new QueryError("filter rule field must be a string");
	if (!OPERATORS.includes(operator as Operator)) {
		throw new QueryError(`filter operator must be one of ${OPERATORS.join(", ")}`);
	}
	return { field, operator: operator as Operator, value };
}

export function parseListQuery(params: URLSearchParams): ListQuery {
	// Knack documents 1000 as the maximum but not what it answers above it; clamping keeps
	// a client that asks for more working instead of inventing an error Knack may not send.
	const rowsPerPage = Math.min(
		positiveInteger("rows_per_page", params.get("rows_per_page"), DEFAULT_ROWS_PER_PAGE),
		MAX_ROWS_PER_PAGE,
	);
	const page = positiveInteger("page", params.get("page"), 1);
	const text = params.get("filters");
	if (text === null || text === "") return { match: "and", rules: [], rowsPerPage, page };
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		throw new QueryError("filters must be JSON");
	}
	// Knack also takes the older form: a bare array of rules, matched with "and".
	const filters = Array.isArray(parsed) ? { match: "and", rules: parsed } : parsed;
	if (typeof filters !== "object" || filters === null) throw new QueryError("filters must be an object");
	const { match = "and", rules } = filters as Record<string, unknown>;
	if (match !== "and" && match !== "or") throw new QueryError('filters.match must be "and" or "or"');
	if (!Array.isArray(rules)) throw new QueryError("filters.rules must be an array");
	return { match, rules: rules.map(parseRule), rowsPerPage, page };
}

function comparable(raw: unknown): string[] {
	if (isConnectionList(raw)) return raw.map((c) => c.id);
	if (Array.isArray(raw)) return raw.map(String);
	if (raw === null || raw === undefined || raw === "") return [];
	return [String(raw)];
}

function matches(record: StoredRecord, rule: Rule): boolean {
	const values = comparable(record[rule.field]);
	const wanted = String(rule.value ?? "");
	switch (rule.operator) {
		case "is":
			return values.some((v) => v === wanted);
		case "is not":
			return !values.some((v) => v === wanted);
		case "contains":
			return values.some((v) => v.toLowerCase().includes(wanted.toLowerCase()));
		case "is blank":
			return values.length === 0;
		case "is not blank":
			return values.length > 0;
	}
}

export interface Page<T> {
	total_pages: number;
	current_page: number;
	total_records: number;
	records: T[];
}

export function selectPage(records: StoredRecord[], query: ListQuery): Page<StoredRecord> {
	const { rules, match } = query;
	const selected =
		rules.length === 0
			? records
			: records.filter((r) => (match === "and" ? rules.every((x) => matches(r, x)) : rules.some((x) => matches(r, x))));
	const start = (query.page - 1) * query.rowsPerPage;
	return {
		total_pages: Math.ceil(selected.length / query.rowsPerPage),
		current_page: query.page,
		total_records: selected.length,
		records: selected.slice(start, start + query.rowsPerPage),
	};
}
