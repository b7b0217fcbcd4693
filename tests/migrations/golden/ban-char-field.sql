-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
CREATE TABLE countries (code char(2) PRIMARY KEY, name text);
