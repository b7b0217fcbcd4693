-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
TRUNCATE orders CASCADE;
CREATE TABLE scratch (id bigint);
TRUNCATE scratch;
