-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE orders ALTER COLUMN total TYPE bigint;
ALTER TABLE orders ALTER COLUMN note TYPE text;
ALTER TABLE orders ALTER COLUMN code TYPE varchar(20);
ALTER TABLE orders ADD COLUMN name varchar(10), ADD COLUMN amount numeric(10,2), ADD COLUMN at timestamp, ADD COLUMN net cidr;
ALTER TABLE orders ALTER COLUMN name TYPE varchar(50);
ALTER TABLE orders ALTER COLUMN name TYPE varchar(40);
ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,2);
ALTER TABLE orders ALTER COLUMN amount TYPE numeric(12,3);
ALTER TABLE orders ALTER COLUMN at TYPE timestamptz;
ALTER TABLE orders ALTER COLUMN net TYPE inet;
ALTER TABLE orders ALTER COLUMN note TYPE text USING trim(note);
