-- Retention: items may now be deleted (`huiju prune`, src/store/prune.rs).

-- When a feed's latest successful fetch (a 200, not a 304) listed an item:
-- equal to the feed's `last_listed` while the source still lists it, and
-- such an item is never pruned. NULL for links made before this column.
ALTER TABLE item_feeds ADD COLUMN last_seen INTEGER;
-- When the feed's latest 200 was stored (a 304 lists what that one did).
ALTER TABLE feeds ADD COLUMN last_listed INTEGER;
-- When the feed left the config (NULL while it is in it): its items' grace
-- period counts from here. Feeds removed before this migration count from it.
ALTER TABLE feeds ADD COLUMN removed_at INTEGER;
UPDATE feeds SET removed_at = CAST(strftime('%s', 'now') AS INTEGER) WHERE active = 0;

-- The identity and link keys of pruned items, so that a source listing one
-- again does not bring it back as new. Pruned after 2 × max_age.
CREATE TABLE tombstones (
    key    TEXT PRIMARY KEY,
    pruned INTEGER NOT NULL
) WITHOUT ROWID;

-- Deleting an item reads its keys (for its tombstones, and the foreign
-- key's cascade) by item: without this index, each deletion scanned all of
-- `item_keys` (0005 dropped it while items were never deleted).
CREATE INDEX item_keys_item ON item_keys(item_id);
-- The foreign key from clusters to their representative is checked on each
-- deletion of an item; clusters are few, the index small.
CREATE INDEX clusters_rep ON clusters(rep_item);
