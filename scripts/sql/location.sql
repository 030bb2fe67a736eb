-- Sipline schema: table "location", table_version 1.
-- The registrar's bindings (usrloc): one row per contact of an address of record, written in
-- usrloc's write-through and write-back modes, read back at start and, in DB-only mode, on
-- every lookup. A script may save() into another table of this same layout (e.g. "location2");
-- create it from this file with the name changed.
CREATE TABLE location (
  contact_id    bigserial    PRIMARY KEY,
  username      varchar(64)  NOT NULL,
  domain        varchar(64)  NOT NULL DEFAULT '',  -- '' when usrloc's use_domain is off
  contact       varchar(512) NOT NULL,             -- the Contact URI
  received      varchar(255),                      -- source of the REGISTER; NULL: none
  path          varchar(512),                      -- RFC 3327 Path; NULL: none
  expires       bigint       NOT NULL,             -- absolute, unix seconds
  q             real,                              -- NULL: not given; else 0.0 .. 1.0
  callid        varchar(255) NOT NULL DEFAULT '',
  cseq          integer      NOT NULL DEFAULT 1,
  last_modified bigint       NOT NULL DEFAULT 0,   -- unix seconds
  flags         integer      NOT NULL DEFAULT 0,
  cflags        integer      NOT NULL DEFAULT 0,
  user_agent    varchar(255) NOT NULL DEFAULT '',
  socket        varchar(128),                      -- receiving socket, "udp:127.0.0.1:5060"
  methods       integer,                           -- bitmask; NULL: all methods
  sip_instance  varchar(255),                      -- RFC 5626 +sip.instance
  reg_id        integer      NOT NULL DEFAULT 0,   -- RFC 5626 reg-id
  UNIQUE (username, domain, contact)               -- the key of usrloc's upserts
);

CREATE INDEX location_expires_idx ON location (expires);

INSERT INTO version (table_name, table_version) VALUES ('location', 1);
