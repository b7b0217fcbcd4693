-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN seq bigserial;
ALTER TABLE orders ADD COLUMN num bigint GENERATED ALWAYS AS IDENTITY;
