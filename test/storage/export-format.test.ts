import { expect, test } from "bun:test";
import { EventTypes } from "../../src/events/types.ts";
import { exportLine, parseExportLine } from "../../src/storage/exportFormat.ts";
import { TransferError } from "../../src/storage/storage.ts";

/** Every kind of event goes out and comes back in, its data checked against its own schema. */

const doubt = {
	seq: 12,
	type: EventTypes.effectDoubted,
	recordedAt: 1_755_000_000_000,
	deliverySeq: 10,
	citybaseId: 70_000_001,
	paymentStatus: "successful",
	invoice: "INV-1",
	effectKey: "70000001:successful:message",
	body: null,
	data: JSON.stringify({ kind: "message", by: "recovery", method: "POST", objectKey: "object_181" }),
};

test("a takeover's doubt is exported and imported as it was stored", () => {
	expect(parseExportLine(exportLine(doubt), 1)).toEqual(doubt);
});

test("a doubt whose data is not a doubt's is refused with its line number", () => {
	const line = exportLine({ ...doubt, data: JSON.stringify({ kind: "message", by: "recovery" }) });
	expect(() => parseExportLine(line, 7)).toThrow(TransferError);
	expect(() => parseExportLine(line, 7)).toThrow(/^line 7: data\/method .* for effect\.doubted$/);
});
