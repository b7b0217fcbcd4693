-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
VACUUM FULL orders;
VACUUM orders;
CLUSTER orders USING orders_pkey;
ALTER TABLE orders SET UNLOGGED;
ALTER TABLE events DETACH PARTITION events_2020;
