import { join } from "node:path";
import { openSqliteStorage } from "../../src/storage/sqlite/index.ts";
import { storageContract } from "./contract.ts";

storageContract("SQLite", (dir) => openSqliteStorage(join(dir, "events.sqlite")));
