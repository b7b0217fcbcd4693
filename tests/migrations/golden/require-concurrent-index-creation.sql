-- options: none
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_shop_idx ON orders (shop_id);
CREATE TABLE items (id bigint PRIMARY KEY, sku text);
CREATE INDEX items_sku_idx ON items (sku);
