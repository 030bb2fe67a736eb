-- Sipline schema: table "acc", table_version 1.
-- Accounting records written by the acc module: one row per accounted transaction (its first
-- final reply) and, in CDR mode (with the dialog module), one row per answered call when it
-- ends (time = answer time, created = INVITE time, setuptime/duration in seconds). acc_key
-- identifies the event, so a record written twice (a spool replay after a crash) is kept once.
-- The columns after ended_by are the usual db_extra ones; add more for other extras. The SIP
-- fields are text (no length limit): a long Call-ID or tag must not make the DB refuse the
-- record; acc replaces invalid UTF-8 and NUL bytes before writing.
CREATE TABLE acc (
  id           bigserial    PRIMARY KEY,
  acc_key      varchar(64)  NOT NULL UNIQUE,            -- SHA-256 hex of the event's identity
  method       text         NOT NULL DEFAULT '',
  from_tag     text         NOT NULL DEFAULT '',
  to_tag       text         NOT NULL DEFAULT '',
  callid       text         NOT NULL DEFAULT '',
  sip_code     integer      NOT NULL DEFAULT 0,
  sip_reason   text         NOT NULL DEFAULT '',
  time         timestamptz  NOT NULL,                   -- final reply; CDR: answer
  duration     integer,                                 -- CDR: seconds from answer to end
  ms_duration  bigint,                                  -- CDR: the same in milliseconds
  setuptime    integer,                                 -- CDR: seconds from INVITE to answer
  created      timestamptz,                             -- CDR: the INVITE was seen
  ended_by     text,                                    -- CDR: caller, callee, timeout, ...
  src_user     text,
  src_domain   text,
  dst_user     text,
  dst_domain   text,
  src_ip       text
);

CREATE INDEX acc_callid_idx ON acc (callid);
CREATE INDEX acc_time_idx ON acc (time);

INSERT INTO version (table_name, table_version) VALUES ('acc', 1);
