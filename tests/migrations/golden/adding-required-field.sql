-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN currency text NOT NULL;
ALTER TABLE orders ADD COLUMN region text NOT NULL DEFAULT 'eu';
ALTER TABLE orders ADD COLUMN note text;
