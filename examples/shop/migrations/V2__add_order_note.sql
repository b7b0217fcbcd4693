-- Release 1.3: a free-text note on an order (nullable, no default: no rewrite, no scan).
SET lock_timeout = '2s';
SET statement_timeout = '1min';
ALTER TABLE orders ADD COLUMN note text;
