-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP VIEW order_totals;
DROP FUNCTION IF EXISTS order_total(bigint);
DROP TYPE order_status;
