-- Release 1.4: "total" becomes "amount_cents". Unsafe: release 1.3, still running during the
-- deploy (and after a rollback), reads and writes "total".
SET lock_timeout = '2s';
SET statement_timeout = '1min';
ALTER TABLE orders RENAME COLUMN total TO amount_cents;
