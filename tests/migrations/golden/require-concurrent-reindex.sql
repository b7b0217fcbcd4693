-- options: none
SET lock_timeout = '2s';
SET statement_timeout = '5min';
REINDEX TABLE orders;
REINDEX (CONCURRENTLY) TABLE orders;
