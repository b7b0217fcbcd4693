-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN total_cents bigint GENERATED ALWAYS AS (total * 100) STORED;
