-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE DOMAIN positive AS bigint CHECK (VALUE > 0);
CREATE DOMAIN name_text AS text;
