-- Which near-duplicate rule made the stored clusters. Clusters made
-- before rule 2 (text weighed by how common it is in the window, headlines
-- that differ in a part or token) may join different stories:
-- `huiju recluster` checks them again and records the rule it used. A
-- database without clusters has nothing to check.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO meta (key, value)
SELECT 'dedup_rule', CASE WHEN EXISTS (SELECT 1 FROM clusters) THEN 1 ELSE 2 END;
