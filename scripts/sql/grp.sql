-- Sipline schema: table "grp", table_version 1.
-- Group membership of subscribers for the group module: one row per (user, group), e.g. the
-- groups "local", "ld" and "int" that decide who may dial which number prefixes
-- (db_is_user_in("$fu", "int")). domain is empty when the module runs without use_domain.
-- Maintained with `siplinectl group`.
CREATE TABLE grp (
  id             serial        PRIMARY KEY,
  username       varchar(64)   NOT NULL,
  domain         varchar(64)   NOT NULL DEFAULT '',
  grp            varchar(64)   NOT NULL,
  last_modified  timestamptz   NOT NULL DEFAULT now(),
  UNIQUE (username, domain, grp)
);

INSERT INTO version (table_name, table_version) VALUES ('grp', 1);
