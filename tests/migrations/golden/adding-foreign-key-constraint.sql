-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE orders ADD CONSTRAINT orders_shop_fk FOREIGN KEY (shop_id) REFERENCES shops (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_shop_fk;
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);
