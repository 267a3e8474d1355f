-- `item_keys_item` goes: no query looks keys up by item (keys are only
-- ever looked up by key), and items are never deleted, so the foreign
-- key's cascade never needs it either. It was as large as `item_keys`
-- itself (a WITHOUT ROWID table's index carries the key), and two entries
-- were written per stored item. A future deletion of items deletes their
-- keys by key, or brings the index back.
DROP INDEX item_keys_item;
