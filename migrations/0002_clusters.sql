-- huiju schema, version 2: near-duplicate clusters ("one story, one item").

-- A feed's priority from the config: the highest priority copy of a story
-- represents it.
ALTER TABLE feeds ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

-- Copies of one story. `entry_guid` is the id output feeds show for the
-- cluster: that of the copy readers saw first, so it never changes when
-- later copies arrive. `rep_item` supplies link, title and content.
CREATE TABLE clusters (
    id         INTEGER PRIMARY KEY,
    rep_item   INTEGER NOT NULL REFERENCES items(id),
    entry_guid TEXT NOT NULL,
    created    INTEGER NOT NULL
);

ALTER TABLE items ADD COLUMN cluster_id INTEGER REFERENCES clusters(id);
-- Similarity (score) to the item it was matched with when it joined.
ALTER TABLE items ADD COLUMN cluster_sim REAL;
CREATE INDEX items_cluster ON items(cluster_id);

-- LSH index over MinHash bands: items sharing a band key are candidates.
-- `t` is the item's sort time, so a lookup reads only its time window.
-- Keys are 32-bit (smaller rows; a rare collision only adds a candidate
-- that the exact comparison then rejects). No foreign key or second index:
-- rows are only ever looked up by band, and items are never deleted.
CREATE TABLE lsh (
    band    INTEGER NOT NULL,
    t       INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    PRIMARY KEY (band, t, item_id)
) WITHOUT ROWID;
