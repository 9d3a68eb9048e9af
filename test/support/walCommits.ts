import { readFileSync } from "node:fs";

/**
 * Transactions committed to a WAL file, read from the file itself: SQLite marks the last
 * frame of each commit by writing the database size into that frame's header (zero on
 * every other frame). Frames left over from before a WAL reset carry the old salts, so
 * counting stops at the first frame whose salts differ from the header's. Only exact
 * while no checkpoint resets the WAL (`PRAGMA wal_autocheckpoint = 0` on the writer).
 */
export function walCommits(walPath: string): number {
	const wal = Buffer.from(readFileSync(walPath));
	if (wal.length < 32) return 0;
	const pageSize = wal.readUInt32BE(8);
	const salts = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
	let commits = 0;
	for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
		if (wal.readUInt32BE(at + 8) !== salts[0] || wal.readUInt32BE(at + 12) !== salts[1]) break;
		if (wal.readUInt32BE(at + 4) !== 0) commits++;
	}
	return commits;
}
