-- Sipline schema: table "subscriber", table_version 1.
-- The users who may register and call: digest credentials per (username, domain), read by
-- auth_db. Provisioned by `siplinectl` (later) or any tool that writes this table. Store the
-- HA1 hashes (ha1 = MD5(username:realm:password), RFC 7616 SHA-256 and SHA-512/256 variants);
-- `password` in plain text is only for auth_db's calculate_ha1 mode.
CREATE TABLE subscriber (
  id             serial       PRIMARY KEY,
  username       varchar(64)  NOT NULL,
  domain         varchar(64)  NOT NULL DEFAULT '',
  password       varchar(64)  NOT NULL DEFAULT '',
  ha1            varchar(64)  NOT NULL DEFAULT '',
  ha1_sha256     varchar(64)  NOT NULL DEFAULT '',
  ha1_sha512t256 varchar(64)  NOT NULL DEFAULT '',
  email_address  varchar(128) NOT NULL DEFAULT '',
  created        timestamptz  NOT NULL DEFAULT now(),
  UNIQUE (username, domain)
);

INSERT INTO version (table_name, table_version) VALUES ('subscriber', 1);
