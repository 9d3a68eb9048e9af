/**
 * A page of a list read past a cursor, asked for one row more than it shows, to learn
 * whether more lie beyond. Read backwards (toward the list's start), the extra row is at
 * its start, and the page has a page after it: the one it was reached from.
 */
export function keysetPage<Row>(
	found: Row[],
	size: number,
	backwards: boolean,
	/** read forwards from a cursor: there is a page before this one */
	resumed: boolean,
): { rows: Row[]; hasNext: boolean; hasPrevious: boolean } {
	const more = found.length > size;
	return {
		rows: backwards ? found.slice(-size) : found.slice(0, size),
		hasNext: backwards || more,
		hasPrevious: backwards ? more : resumed,
	};
}
