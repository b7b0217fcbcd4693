-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);
ALTER TABLE orders ADD CONSTRAINT total_small CHECK (total < 1000000) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT total_small;
