import { eq } from "drizzle-orm";
import type { CursorStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { checkpoints } from "./readModelSchema.ts";

/** Named log positions, kept beside the read model's checkpoint. */
export function createSqliteCursorStore({ db }: OpenDatabase): CursorStore {
	return {
		async read(name) {
			return db.select().from(checkpoints).where(eq(checkpoints.name, name)).get()?.position ?? 0;
		},
		async write(name, position) {
			db.insert(checkpoints)
				.values({ name, position })
				.onConflictDoUpdate({ target: checkpoints.name, set: { position } })
				.run();
		},
		async clear(name) {
			db.delete(checkpoints).where(eq(checkpoints.name, name)).run();
		},
	};
}
