import type { PaymentRow, Trouble } from "../projections/paymentRow.ts";
import type { SqlText } from "./sqlText.ts";
import type { PaymentMatch, PaymentQueries, SearchField, StuckCount, StuckCursor, StuckFilter } from "./storage.ts";

/**
 * The operators' questions of the payments read model, written once for both databases.
 * None counts or reads more than its page: the stuck counts are kept by (app, status,
 * trouble) as the rows change (`readModelIndex.ts`), so the list of stuck payments is read
 * as one short range of `payments_stuck` per such combination the filter leaves, merged;
 * a search is a range of the search keys' primary key; recent payments a range of
 * `payments_recent`.
 */
type StoredRow = Record<keyof PaymentRow, unknown>;

export function createPaymentQueries(db: SqlText): PaymentQueries {
	const columns = (p: string) =>
		`${p}citybase_id as "citybaseId", ${p}app as "app", ${p}invoice as "invoice", ${p}latest_status as "latestStatus",
		 ${p}total_amount as "totalAmount", ${p}knack_record_id as "knackRecordId", ${p}parent_record_id as "parentRecordId",
		 ${db.json(`${p}knack_records`)} as "knackRecords", ${p}deliveries as "deliveries",
		 ${p}last_delivery_seq as "lastDeliverySeq", ${p}updated_at as "updatedAt", ${p}received_at as "receivedAt",
		 ${db.json(`${p}open_deliveries`)} as "open", ${p}stuck_since as "stuckSince", ${p}stuck_status as "stuckStatus",
		 ${p}trouble as "trouble", ${db.json(`${p}last_error`)} as "lastError"`;
	const { decode, encode } = db.text;
	const orNull = <T>(value: unknown, as: (v: never) => T): T | null =>
		value === null || value === undefined ? null : as(value as never);
	const toRow = (r: StoredRow): PaymentRow => ({
		citybaseId: Number(r.citybaseId),
		app: r.app as string,
		invoice: decode(r.invoice as string),
		latestStatus: decode(r.latestStatus as string),
		totalAmount: r.totalAmount as string,
		knackRecordId: decode(r.knackRecordId as string),
		parentRecordId: orNull(r.parentRecordId, decode),
		knackRecords: JSON.parse(r.knackRecords as string),
		deliveries: Number(r.deliveries),
		lastDeliverySeq: Number(r.lastDeliverySeq),
		updatedAt: Number(r.updatedAt),
		receivedAt: Number(r.receivedAt),
		open: JSON.parse(r.open as string),
		stuckSince: orNull(r.stuckSince, Number),
		stuckStatus: orNull(r.stuckStatus, decode),
		trouble: orNull(r.trouble, (t: Trouble) => t),
		lastError: orNull(r.lastError, JSON.parse),
	});

	/** The combinations with stuck payments, as stored (a status encoded), with their counts. */
	const combinations = async () =>
		(
			await db.query<{ app: string; status: string; trouble: Trouble; n: unknown }>(
				"select app, status, trouble, n from stuck_counts where n > 0",
			)
		).map((c) => ({ ...c, n: Number(c.n) }));
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
			const union = ranges(combos, filter, extra, columns(""), `${order} limit ?`, [limit]);
			const rows = await db.query<StoredRow>(
				`select * from (${union.text}) as page order by "stuckSince" ${direction}, "citybaseId" ${direction} limit ?`,
				...union.params,
				limit,
			);
			const page = rows.map(toRow);
			return backwards ? page.reverse() : page;
		},

		async stuckCounts() {
			return (await combinations()).map((c): StuckCount => ({ ...c, status: decode(c.status) }));
		},

		async countStuck(filter, cap) {
			const combos = await matching(filter);
			if (filter.stuckBefore === undefined) return combos.reduce((n, c) => n + c.n, 0);
			if (combos.length === 0) return 0;
			const union = ranges(combos, filter, { text: "", params: [] }, "1 as one", "limit ?", [cap]);
			const [row] = await db.query<{ n: unknown }>(
				`select count(*) as n from (select one from (${union.text}) as matching limit ?) as counted`,
				...union.params,
				cap,
			);
			return Number(row?.n ?? 0);
		},

		async search(prefix, limit) {
			if (prefix === "") return [];
			const rows = await db.query<StoredRow & { key: string; field: SearchField }>(
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
				const rows = await db.query<StoredRow>(
					`select ${columns("")} from payments where last_delivery_seq > ? order by last_delivery_seq limit ?`,
					after,
					limit,
				);
				return rows.map(toRow).reverse();
			}
			const rows = await db.query<StoredRow>(
				`select ${columns("")} from payments where last_delivery_seq < ? order by last_delivery_seq desc limit ?`,
				before ?? Number.MAX_SAFE_INTEGER,
				limit,
			);
			return rows.map(toRow);
		},

		async foldedTo() {
			const [row] = await db.query<{ position: unknown }>("select position from checkpoints where name = 'payments'");
			return Number(row?.position ?? 0);
		},
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
