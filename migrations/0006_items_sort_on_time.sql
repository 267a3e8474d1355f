-- `items_sort` keys on the sort time alone. Every index entry carries the
-- row's id (the rowid) after its columns, so the index still gives
-- `ORDER BY sort_time DESC, id DESC` without a sort; the id no longer
-- appears twice in each entry. Keyed by times in no order in a first
-- fetch, this index was a quarter of the pages written to the WAL:
-- smaller entries, fewer pages (213 -> 166 pages after the 1,000-feed
-- benchmark cycle, WAL frames 36,600 -> 34,900; BENCHMARKS.md, "Storing").
DROP INDEX items_sort;
CREATE INDEX items_sort ON items(sort_time);
