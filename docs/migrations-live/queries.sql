-- the previous release's queries, one per line
SELECT id, name FROM users WHERE email = 'a@example.com'
INSERT INTO users (email, name) VALUES ('b@example.com', 'Zoë')
SELECT count(*) FROM users WHERE age > $1
