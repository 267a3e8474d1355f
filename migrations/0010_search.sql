-- Full-text search (src/store/search.rs): every item's folded title and
-- text, Chinese runs written as overlapping character pairs. Contentless
-- (the text is in `items`), with deletes, so a pruned or changed item's
-- entry can be removed by rowid (= items.id). Built for the items already
-- stored by this migration's hook.
CREATE VIRTUAL TABLE item_search USING fts5(
    body,
    content = '',
    contentless_delete = 1
);
