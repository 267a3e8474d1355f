-- huiju schema, version 1. Applied by rusqlite_migration at start-up; the
-- version lives in PRAGMA user_version.

-- One row per source feed ever configured. Feeds removed from the config
-- stay (their items may still be shown by other feeds) but are inactive.
CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY,
    url                TEXT NOT NULL UNIQUE,
    -- Name from the config, else the source's own title.
    title              TEXT,
    source_title       TEXT,
    site_link          TEXT,
    active             INTEGER NOT NULL DEFAULT 1,
    -- Conditional GET validators from the last 200 response.
    etag               TEXT,
    last_modified      TEXT,
    -- Unix seconds before which the source asked not to be polled (Retry-After).
    retry_after        INTEGER,
    last_attempt       INTEGER,
    last_success       INTEGER,
    last_status        INTEGER,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    next_due           INTEGER
);

-- Category membership, synchronised from the config.
CREATE TABLE feed_categories (
    category TEXT NOT NULL,
    feed_id  INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    PRIMARY KEY (category, feed_id)
) WITHOUT ROWID;
CREATE INDEX feed_categories_feed ON feed_categories(feed_id);

CREATE TABLE items (
    id             INTEGER PRIMARY KEY,
    -- The feed that brought the item first; its name is the item's source.
    origin_feed    INTEGER NOT NULL REFERENCES feeds(id),
    -- The id shown in output feeds (the source's guid/id, else the link).
    guid           TEXT NOT NULL,
    link           TEXT,
    title          TEXT NOT NULL,
    summary        TEXT,
    content        TEXT,
    author         TEXT,
    categories     TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
    enclosures     TEXT NOT NULL DEFAULT '[]',  -- JSON array of {url, mime, length}
    -- Source date as unix seconds plus its UTC offset; NULL when undated.
    published      INTEGER,
    published_off  INTEGER,
    first_seen     INTEGER NOT NULL,
    -- Set when the source changed the item after we first stored it.
    modified       INTEGER,
    -- published, else first_seen: the order of output feeds.
    sort_time      INTEGER NOT NULL,
    content_hash   INTEGER NOT NULL
);
CREATE INDEX items_sort ON items(sort_time DESC, id DESC);

-- Every key an item is known by: its identity key and its link key.
CREATE TABLE item_keys (
    key     TEXT PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX item_keys_item ON item_keys(item_id);

-- Which feeds carry an item.
CREATE TABLE item_feeds (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, feed_id)
) WITHOUT ROWID;
CREATE INDEX item_feeds_feed ON item_feeds(feed_id, item_id);
