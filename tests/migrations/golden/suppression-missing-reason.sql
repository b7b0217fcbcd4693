-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
-- readiness: allow drop-column reason="unused since release 2.3, checked in pg_stat_statements"
ALTER TABLE orders DROP COLUMN legacy;
-- readiness: allow drop-column
ALTER TABLE orders DROP COLUMN legacy2;
ALTER TABLE orders DROP COLUMN legacy3; -- readiness: allow drop-column reason='same line'
