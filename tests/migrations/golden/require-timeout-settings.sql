-- options: runner-transaction
CREATE TABLE items (id bigint PRIMARY KEY);
ALTER TABLE items ADD COLUMN sku text;
ALTER TABLE orders ADD COLUMN note text;
ALTER TABLE orders ADD COLUMN memo text;
