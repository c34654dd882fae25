-- Every token belongs to a user. Tokens issued before get a machine user each; their listed id is the
-- actor id they used to carry (tok- and the first 12 hex digits of the hash).
ALTER TABLE api_tokens
    ADD COLUMN id           text,
    ADD COLUMN user_id      text REFERENCES users (id),
    ADD COLUMN last_used_at timestamptz;

INSERT INTO users (id, login, name, role, department, kind, created_at)
SELECT 'usr-' || substr(token_hash, 1, 12), 'machine-' || substr(token_hash, 1, 12),
       coalesce(name, role || ' token'), role, department, 'machine', created_at
FROM api_tokens;

UPDATE api_tokens SET id = 'tok-' || substr(token_hash, 1, 12), user_id = 'usr-' || substr(token_hash, 1, 12);

ALTER TABLE api_tokens ALTER COLUMN id SET NOT NULL, ALTER COLUMN user_id SET NOT NULL;
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
