-- options: none
BEGIN;
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_idx ON orders (user_id);
COMMIT;
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_shop_idx ON orders (shop_id);
