-- options: runner-transaction
SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);
CREATE TABLE rooms (id bigint PRIMARY KEY, during tstzrange);
ALTER TABLE rooms ADD CONSTRAINT rooms_no_overlap EXCLUDE USING gist (during WITH &&);
