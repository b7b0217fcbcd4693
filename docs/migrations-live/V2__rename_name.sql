SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN nickname text;
ALTER TABLE users RENAME COLUMN name TO full_name;
