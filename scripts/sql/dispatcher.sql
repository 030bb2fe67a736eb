-- Sipline schema: table "dispatcher", table_version 1.
-- Destination sets of the dispatcher module (PSTN gateways, media servers, ...): one row per
-- destination. setid groups destinations into a set (ds_select_dst(setid, alg)). destination
-- is a SIP URI (sip:10.0.0.1:5060;transport=udp). state is the administrative state at load:
-- 0 active, 1 inactive (never used until enabled), 2 probing (used only after it answers a
-- probe). weight is for the weight-based algorithms (0 never chosen by them); priority orders
-- a set (lower first) for "first available" and for failover. socket forces the local socket
-- ("udp:10.0.0.2:5060", empty for any); attrs is free text the script reads back ($var/AVP);
-- description is for the operator. Maintained with `siplinectl dispatcher`, read at start and
-- on `ds_reload`.
CREATE TABLE dispatcher (
  id             serial        PRIMARY KEY,
  setid          integer       NOT NULL DEFAULT 0,
  destination    varchar(192)  NOT NULL,
  socket         varchar(128)  NOT NULL DEFAULT '',
  state          integer       NOT NULL DEFAULT 0,
  weight         integer       NOT NULL DEFAULT 1,
  priority       integer       NOT NULL DEFAULT 0,
  attrs          varchar(128)  NOT NULL DEFAULT '',
  description    varchar(64)   NOT NULL DEFAULT '',
  UNIQUE (setid, destination)
);

INSERT INTO version (table_name, table_version) VALUES ('dispatcher', 1);
