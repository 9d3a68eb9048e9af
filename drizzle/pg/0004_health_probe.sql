-- The health probe's own scratch row (the claims table had doubled as it): a row is inserted
-- and deleted in one transaction, so the table is always empty.
CREATE TABLE "health_probe" (
	"at" bigint NOT NULL
);
