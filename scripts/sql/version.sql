-- Sipline schema: table "version", table_version 1.
-- One row per table of the schema: which layout (table_version) the table in this database
-- has. Every DB-using module checks its tables' rows at start; `siplinectl db check` checks all
-- of them. Applied first by `siplinectl db init` (see README.md in this directory).
CREATE TABLE version (
  table_name    varchar(64) PRIMARY KEY,
  table_version integer     NOT NULL
);

INSERT INTO version (table_name, table_version) VALUES ('version', 1);
