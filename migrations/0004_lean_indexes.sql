-- Fewer index entries written per stored item (BENCHMARKS.md: storing is
-- the one serial step of a refresh cycle).
--
-- `prints_t` goes: prints are read by time through `items_sort`, which
-- every item is in anyway (an item's print time is its sort time when it
-- is stored). Keyed by random times, the index was rewritten into the WAL
-- page by page at nearly every commit.
DROP INDEX prints_t;

-- Most items are in no cluster: index only those that are.
DROP INDEX items_cluster;
CREATE INDEX items_cluster ON items(cluster_id) WHERE cluster_id IS NOT NULL;
