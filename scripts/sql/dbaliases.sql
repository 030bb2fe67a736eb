-- Sipline schema: table "dbaliases", table_version 1.
-- Aliases of subscribers for alias_db: alias_username@alias_domain (a phone number, a short
-- name) stands for the subscriber username@domain; alias_db_lookup("dbaliases") rewrites the
-- request-URI from the alias to the subscriber. An alias names one subscriber; a subscriber
-- may have many aliases. Maintained with `siplinectl alias`.
CREATE TABLE dbaliases (
  id              serial        PRIMARY KEY,
  alias_username  varchar(64)   NOT NULL,
  alias_domain    varchar(64)   NOT NULL DEFAULT '',
  username        varchar(64)   NOT NULL,
  domain          varchar(64)   NOT NULL DEFAULT '',
  UNIQUE (alias_username, alias_domain)
);

CREATE INDEX dbaliases_target_idx ON dbaliases (username, domain);

INSERT INTO version (table_name, table_version) VALUES ('dbaliases', 1);
