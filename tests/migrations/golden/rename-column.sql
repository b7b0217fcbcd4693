-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders RENAME COLUMN total TO amount;
CREATE TABLE drafts (id bigint, body text);
ALTER TABLE drafts RENAME COLUMN body TO content;
