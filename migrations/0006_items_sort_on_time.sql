-- `items_sort` keys on the sort time alone. Every index entry carries the
-- row's id (the rowid) after its columns, so the index still gives
-- `ORDER BY sort_time DESC, id DESC` without a sort; the id no longer
-- appears twice in each entry. Keyed by times in no order in a first
-- fetch, this index was a quarter of the pages written to the WAL
-- (BENCHMARKS.md, session 12): smaller entries, fewer pages.
DROP INDEX items_sort;
CREATE INDEX items_sort ON items(sort_time);
