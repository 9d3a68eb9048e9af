import { command, type Executor } from "./sql.ts";
import type { ConsoleSessionStore, StoredConsoleSession } from "./storage.ts";

const COLUMNS = `id_hash as "idHash", csrf, name, created_at as "createdAt", last_seen as "lastSeen"`;

/** Console sign-ins, written durably like everything else on the store's connection. */
export function createSessionStore(exec: Executor): ConsoleSessionStore {
	return {
		create: ({ idHash, csrf, name, createdAt, lastSeen }) =>
			exec.run(
				command(
					"insert into console_sessions (id_hash, csrf, name, created_at, last_seen) values (?, ?, ?, ?, ?)",
					idHash,
					csrf,
					name,
					createdAt,
					lastSeen,
				),
			),
		async get(idHash) {
			const [row] = await exec.query<StoredConsoleSession>(
				`select ${COLUMNS} from console_sessions where id_hash = ?`,
				idHash,
			);
			return row ?? null;
		},
		touch: (idHash, at) =>
			exec.run(
				command("update console_sessions set last_seen = ? where id_hash = ? and last_seen < ?", at, idHash, at),
			),
		delete: (idHash) => exec.run(command("delete from console_sessions where id_hash = ?", idHash)),
		async prune(lastSeenBefore, createdBefore) {
			const dropped = await exec.query(
				"delete from console_sessions where last_seen < ? or created_at < ? returning id_hash",
				lastSeenBefore,
				createdBefore,
			);
			return dropped.length;
		},
	};
}
