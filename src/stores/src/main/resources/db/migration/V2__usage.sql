-- When each of a user's secrets was last delivered to a session (SecretStore.recordUse): one row per
-- (user, name), upserted once per snapshot; a delete of the secret leaves the row (readers ignore a
-- time before the secret's created_at), and each user keeps the 1,000 most recently used rows.

CREATE TABLE nbsecrets_usage (
  user_id      text COLLATE "C" NOT NULL,
  name         text COLLATE "C" NOT NULL,
  last_used_at timestamptz      NOT NULL,
  PRIMARY KEY (user_id, name)
);
