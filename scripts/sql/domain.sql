-- Sipline schema: table "domain", table_version 1.
-- The SIP domains this server serves: `siplinectl subscriber add` refuses a subscriber of a
-- domain that is not listed here (a typo would otherwise create a user nobody can reach).
-- Maintained with `siplinectl domain add/rm/list`. Names are stored in lower case.
CREATE TABLE domain (
  id             serial       PRIMARY KEY,
  domain         varchar(64)  NOT NULL UNIQUE,
  created        timestamptz  NOT NULL DEFAULT now()
);

INSERT INTO version (table_name, table_version) VALUES ('domain', 1);
