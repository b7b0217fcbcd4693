-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP DATABASE shop;
