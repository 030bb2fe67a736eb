-- Sipline schema: table "address", table_version 1.
-- Address groups of the permissions module: which sources are trusted (PSTN gateways, peers).
-- grp is the group number (check_source_address(grp)); ip an IPv4 or IPv6 address and mask
-- its prefix length (32 or 128 for one host); port 0 matches any port; proto is "any", "udp",
-- "tcp", "tls", "ws" or "wss". pattern, when not empty, is a regular expression the request's
-- From URI must also match; context_info is text handed back to the script in an AVP on a
-- match. Maintained with `siplinectl address`, read at start and on `address_reload`.
CREATE TABLE address (
  id             serial        PRIMARY KEY,
  grp            integer       NOT NULL DEFAULT 0,
  ip             varchar(50)   NOT NULL,
  mask           integer       NOT NULL DEFAULT 32,
  port           integer       NOT NULL DEFAULT 0,
  proto          varchar(4)    NOT NULL DEFAULT 'any',
  pattern        varchar(64)   NOT NULL DEFAULT '',
  context_info   varchar(32)   NOT NULL DEFAULT ''
);

CREATE INDEX address_grp_idx ON address (grp);

INSERT INTO version (table_name, table_version) VALUES ('address', 1);
