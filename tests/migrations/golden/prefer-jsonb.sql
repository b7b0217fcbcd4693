-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE items (id bigint PRIMARY KEY, attrs json, extra jsonb);
