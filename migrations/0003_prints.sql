-- Near-duplicate index keys, one append-only row per item instead of one
-- row per (band, time, item) in `lsh`, whose random keys made every commit
-- rewrite most of the index (see src/band_index.rs). The lookup table is
-- built in memory from these rows. The rows of `lsh` are moved here by
-- Rust code run with this migration, which then drops it.
CREATE TABLE prints (
    item_id INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
    -- The item's time (published, else first seen), unix seconds.
    t       INTEGER NOT NULL,
    -- Band keys: little-endian u32s.
    keys    BLOB NOT NULL
);
CREATE INDEX prints_t ON prints(t);
