import { foldedTo, paymentColumns, paymentRowOf, type StoredPaymentRow } from "./readModel.ts";
import type { Dialect, Executor } from "./sql.ts";
import type { PaymentMatch, PaymentQueries, SearchField, StuckCount, StuckCursor, StuckFilter } from "./storage.ts";

/**
 * The operators' questions of the payments read model, written once for both databases.
 * None counts or reads more than its page: the stuck counts are kept by (app, status,
 * trouble) as the rows change (`readModelIndex.ts`), so the list of stuck payments is read
 * as one short range of `payments_stuck` per such combination the filter leaves, merged;
 * a search is a range of the search keys' primary key; recent payments a range of
 * `payments_recent`.
 */
export function createPaymentQueries(db: Executor, d: Dialect): PaymentQueries {
	const columns = (p: string) => paymentColumns(d, p);
	const { decode, encode } = d.text;
	const toRow = paymentRowOf(d);

	/** The combinations with stuck payments, as stored (a status encoded), with their counts. */
	const combinations = () => db.query<StuckCount>("select app, status, trouble, n from stuck_counts where n > 0");
	const matching = async (filter: StuckFilter) =>
		(await combinations()).filter(
			(c) =>
				(filter.app === undefined || c.app === filter.app) &&
				(filter.status === undefined || decode(c.status) === filter.status) &&
				(filter.trouble === undefined || c.trouble === filter.trouble),
		);

	/** One range of `payments_stuck` per combination: its conditions and their parameters. */
	const ranges = (
		combos: { app: string; status: string; trouble: string }[],
		filter: StuckFilter,
		extra: { text: string; params: unknown[] },
		select: string,
		tail: string,
		tailParams: unknown[],
	) => {
		const params: unknown[] = [];
		const parts = combos.map((c, i) => {
			params.push(c.app, c.status, c.trouble);
			let where = "app = ? and stuck_status = ? and trouble = ? and stuck_since is not null";
			if (filter.stuckBefore !== undefined) {
				where += " and stuck_since < ?";
				params.push(filter.stuckBefore);
			}
			if (extra.text) {
				where += ` and ${extra.text}`;
				params.push(...extra.params);
			}
			params.push(...tailParams);
			return `select * from (select ${select} from payments where ${where} ${tail}) as r${i}`;
		});
		return { text: parts.join(" union all "), params };
	};

	return {
		async stuck(filter, { after, before, limit }) {
			const combos = await matching(filter);
			if (combos.length === 0) return [];
			const backwards = before !== undefined && after === undefined;
			const cursor: StuckCursor | undefined = backwards ? before : after;
			const direction = backwards ? "desc" : "asc";
			// A row value, not `a > ? or (a = ? and b > ?)`: both databases read it as one range of the index.
			const extra = cursor
				? {
						text: `(stuck_since, citybase_id) ${backwards ? "<" : ">"} (?, ?)`,
						params: [cursor.stuckSince, cursor.citybaseId],
					}
				: { text: "", params: [] };
			const order = `order by stuck_since ${direction}, citybase_id ${direction}`;
			// The page's places first, from the index alone, then only its rows: each range reads up to
			// `limit` entries, and a whole row for each would be most of the cost.
			const union = ranges(
				combos,
				filter,
				extra,
				'stuck_since as "stuckSince", citybase_id as "citybaseId"',
				`${order} limit ?`,
				[limit],
			);
			const places = await db.query<StuckCursor>(
				`select * from (${union.text}) as page order by "stuckSince" ${direction}, "citybaseId" ${direction} limit ?`,
				...union.params,
				limit,
			);
			if (places.length === 0) return [];
			const rows = await db.query<StoredPaymentRow>(
				`select ${columns("")} from payments where ${d.inList("citybase_id")} order by stuck_since, citybase_id`,
				d.list(places.map((p) => p.citybaseId)),
			);
			return rows.map(toRow);
		},

		async stuckCounts() {
			return (await combinations()).map((c): StuckCount => ({ ...c, status: decode(c.status) }));
		},

		async countStuck(filter, cap) {
			const combos = await matching(filter);
			if (filter.stuckBefore === undefined) return combos.reduce((n, c) => n + c.n, 0);
			if (combos.length === 0) return 0;
			const union = ranges(combos, filter, { text: "", params: [] }, "1 as one", "limit ?", [cap]);
			const [row] = await db.query<{ n: number }>(
				`select count(*) as n from (select one from (${union.text}) as matching limit ?) as counted`,
				...union.params,
				cap,
			);
			return row?.n ?? 0;
		},

		async search(prefix, limit) {
			if (prefix === "") return [];
			const rows = await db.query<StoredPaymentRow & { key: string; field: SearchField }>(
				`select k.key as "key", k.field as "field", ${columns("p.")} from payment_keys k
				 join payments p on p.citybase_id = k.citybase_id
				 where k.key >= ? and k.key < ? order by k.key, k.citybase_id limit ?`,
				encode(prefix),
				encode(successor(prefix)),
				limit,
			);
			return rows.map((r): PaymentMatch => ({ row: toRow(r), key: decode(r.key), field: r.field }));
		},

		async recent({ before, after, limit }) {
			if (after !== undefined && before === undefined) {
				const rows = await db.query<StoredPaymentRow>(
					`select ${columns("")} from payments where last_delivery_seq > ? order by last_delivery_seq limit ?`,
					after,
					limit,
				);
				return rows.map(toRow).reverse();
			}
			const rows = await db.query<StoredPaymentRow>(
				`select ${columns("")} from payments where last_delivery_seq < ? order by last_delivery_seq desc limit ?`,
				before ?? Number.MAX_SAFE_INTEGER,
				limit,
			);
			return rows.map(toRow);
		},

		foldedTo: () => db.run(foldedTo()),
	};
}

/**
 * The least text after every text that starts with `prefix`, in code-point order (how
 * both databases compare these keys): its last character moved one on. Keys starting
 * with `prefix` are exactly those in [prefix, successor).
 */
export function successor(prefix: string): string {
	const chars = [...prefix];
	const last = chars.pop() as string;
	return chars.join("") + String.fromCodePoint((last.codePointAt(0) as number) + 1);
}
