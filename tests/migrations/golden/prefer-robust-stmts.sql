-- options: none
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE items (id bigint PRIMARY KEY);
CREATE TABLE IF NOT EXISTS things (id bigint PRIMARY KEY);
CREATE INDEX CONCURRENTLY items_id_idx ON items (id);
DROP INDEX CONCURRENTLY IF EXISTS things_idx;
ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;
ALTER TABLE orders DROP COLUMN IF EXISTS note;
