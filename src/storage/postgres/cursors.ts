import { eq } from "drizzle-orm";
import type { CursorStore } from "../storage.ts";
import type { OpenDatabase } from "./database.ts";
import { checkpoints } from "./readModelSchema.ts";

/** Named log positions, kept beside the read model's checkpoint. */
export function createPostgresCursorStore({ db }: OpenDatabase): CursorStore {
	return {
		async read(name) {
			const [row] = await db.select().from(checkpoints).where(eq(checkpoints.name, name));
			return row?.position ?? 0;
		},
		async write(name, position) {
			await db
				.insert(checkpoints)
				.values({ name, position })
				.onConflictDoUpdate({ target: checkpoints.name, set: { position } });
		},
		async clear(name) {
			await db.delete(checkpoints).where(eq(checkpoints.name, name));
		},
	};
}
