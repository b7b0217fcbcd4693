-- options: runner-transaction
CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);
DROP INDEX CONCURRENTLY orders_old_idx;
