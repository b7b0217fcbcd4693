-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE items (id bigint PRIMARY KEY, sku varchar(32), name varchar, body text);
