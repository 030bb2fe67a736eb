-- Sipline schema: table "usr_preferences", table_version 1.
-- Per-subscriber settings loaded into AVPs by avpops (avp_db_load): one row per (user,
-- attribute, value); an attribute may have several values. type 0 is a string value, 1 an
-- integer (bit 0 set, as in OpenSIPS; bit 1 marks an integer AVP name there). The call-forwarding settings that `siplinectl callfwd` writes use the attributes
-- "callfwd" (unconditional), "fwdbusy" (on busy) and "fwdnoanswer" (on no answer), each a SIP
-- URI. uuid is an optional subscriber id for setups that key preferences by it.
CREATE TABLE usr_preferences (
  id             serial        PRIMARY KEY,
  uuid           varchar(64)   NOT NULL DEFAULT '',
  username       varchar(128)  NOT NULL DEFAULT '',
  domain         varchar(64)   NOT NULL DEFAULT '',
  attribute      varchar(32)   NOT NULL,
  type           integer       NOT NULL DEFAULT 0,
  value          varchar(128)  NOT NULL DEFAULT '',
  last_modified  timestamptz   NOT NULL DEFAULT now()
);

CREATE INDEX usr_preferences_user_idx ON usr_preferences (username, domain, attribute);
CREATE INDEX usr_preferences_uuid_idx ON usr_preferences (uuid, attribute);

INSERT INTO version (table_name, table_version) VALUES ('usr_preferences', 1);
