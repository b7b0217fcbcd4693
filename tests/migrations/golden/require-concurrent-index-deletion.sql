-- options: none
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP INDEX IF EXISTS orders_user_idx;
DROP INDEX CONCURRENTLY IF EXISTS orders_shop_idx;
