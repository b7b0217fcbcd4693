-- options: runner-transaction pg-version=10
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN status text DEFAULT 'new';
ALTER TABLE orders ADD COLUMN note text;
