ALTER TABLE messages DROP COLUMN part_map;
