-- Schema of the database secret store (io.nbsecrets.store.DatabaseSecretStore), applied by Flyway
-- at open. Sealed values and wrapped keys are bytea holding the UTF-8 of their text: the contract
-- includes U+0000, which a PostgreSQL text value cannot hold. Identifiers compare byte-wise
-- (COLLATE "C"), so ORDER BY name is code-point order whatever the database's locale.

CREATE TABLE nbsecrets_secrets (
  user_id    text COLLATE "C" NOT NULL,
  name       text COLLATE "C" NOT NULL,
  version    bigint           NOT NULL CHECK (version >= 1),
  created_at timestamptz      NOT NULL,
  updated_at timestamptz      NOT NULL,
  sealed     bytea            NOT NULL,
  PRIMARY KEY (user_id, name)
);

CREATE TABLE nbsecrets_user_keys (
  user_id    text COLLATE "C" PRIMARY KEY,
  wrapped    bytea            NOT NULL,
  created_at timestamptz      NOT NULL
);
