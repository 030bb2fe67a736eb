-- Sipline schema: table "missed_calls", table_version 1.
-- INVITEs that failed (final reply >= 300: busy, no answer, cancelled) and that the script
-- accounted with "missed" (or db_missed_flag); written by the acc module. Same layout as
-- "acc" without the CDR columns (the SIP fields are text, as there).
CREATE TABLE missed_calls (
  id           bigserial    PRIMARY KEY,
  acc_key      varchar(64)  NOT NULL UNIQUE,            -- SHA-256 hex of the event's identity
  method       text         NOT NULL DEFAULT '',
  from_tag     text         NOT NULL DEFAULT '',
  to_tag       text         NOT NULL DEFAULT '',
  callid       text         NOT NULL DEFAULT '',
  sip_code     integer      NOT NULL DEFAULT 0,
  sip_reason   text         NOT NULL DEFAULT '',
  time         timestamptz  NOT NULL,                   -- the final reply was sent
  src_user     text,
  src_domain   text,
  dst_user     text,
  dst_domain   text,
  src_ip       text
);

CREATE INDEX missed_calls_callid_idx ON missed_calls (callid);
CREATE INDEX missed_calls_time_idx ON missed_calls (time);

INSERT INTO version (table_name, table_version) VALUES ('missed_calls', 1);
