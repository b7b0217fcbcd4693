-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
DROP TABLE legacy_orders;
CREATE TABLE tmp_import (id bigint);
DROP TABLE tmp_import;
