-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders DROP COLUMN legacy_status;
CREATE TABLE drafts (id bigint, body text);
ALTER TABLE drafts DROP COLUMN body;
