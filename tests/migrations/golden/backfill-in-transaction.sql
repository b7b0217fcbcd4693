-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ADD COLUMN region text;
UPDATE orders SET region = 'eu';
INSERT INTO countries (code) VALUES ('de');
CREATE TABLE regions (code text PRIMARY KEY);
INSERT INTO regions (code) SELECT DISTINCT region FROM orders;
