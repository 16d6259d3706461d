ALTER TABLE mailboxes DROP COLUMN expunged_floor;
