-- Rules (`[[exclude]]`, a feed's `exclude`, a category's include, exclude,
-- from and match) route items into and out of categories. Items are stored
-- whatever the rules say; these rows record where the rules' verdict for
-- one (item, feed) pair differs from the feed's own categories, so that an
-- item no rule touches has none. Written when a pair is stored, and again
-- for every pair when the rules change (`meta.routes_key`).
CREATE TABLE item_routes (
    item_id  INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    feed_id  INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    -- A category id, or 'all' (a blocked pair: in no category, nor in all).
    category TEXT NOT NULL,
    -- 1: in the category though the feed is not in it (from + match);
    -- 0: out of it though the feed is in it (include, exclude, blocked).
    included INTEGER NOT NULL,
    PRIMARY KEY (item_id, feed_id, category)
) WITHOUT ROWID;
