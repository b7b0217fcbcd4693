-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);
ALTER DOMAIN positive ADD CONSTRAINT positive_check2 CHECK (VALUE > 0) NOT VALID;
