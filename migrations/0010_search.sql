-- Full-text search (src/store/search.rs). The index itself lives in a
-- file of its own beside the database (`huiju.search.db`, attached as
-- `search`), written by an indexer thread off the writer's path, so that
-- indexing never holds the database's write lock. It follows `items` by
-- id; this table names the items whose entries must be made again: an
-- item changed or deleted (a prune). `n` counts the changes, so that a
-- change while the indexer works on the item is not lost.
CREATE TABLE search_dirty (
    item_id INTEGER PRIMARY KEY,
    n       INTEGER NOT NULL
) WITHOUT ROWID;
