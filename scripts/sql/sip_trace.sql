-- Sipline schema: table "sip_trace", table_version 1.
-- Traced SIP messages written by the siptrace module: one row per message received or sent
-- by the server for a traced call (sip_trace() in the script, or a subscriber traced with
-- the management command trace_user). The writer holds messages for 200 ms and inserts them
-- sorted by capture time within that window, so ids follow the wire order unless a process
-- stalled longer than that between capturing a message and queueing it. To read a call in
-- capture order: ORDER BY time_stamp, id.
-- Columns as in OpenSIPS: time_us is the microsecond part of time_stamp; status is the
-- reply's status line after "SIP/2.0 " ("200 OK", "" for requests); method is the request's
-- method or, for a reply, its CSeq method; direction is "in" (received) or "out" (sent);
-- trace_attrs is the traced user (trace_user) or sip_trace()'s argument. Text columns have no
-- length limit; the module replaces invalid UTF-8 and NUL bytes before writing.
CREATE TABLE sip_trace (
  id           bigserial    PRIMARY KEY,
  time_stamp   timestamptz  NOT NULL,
  time_us      integer      NOT NULL DEFAULT 0,
  callid       text         NOT NULL DEFAULT '',
  trace_attrs  text         NOT NULL DEFAULT '',
  msg          text         NOT NULL,
  method       text         NOT NULL DEFAULT '',
  status       text         NOT NULL DEFAULT '',
  from_proto   varchar(16)  NOT NULL,
  from_ip      varchar(64)  NOT NULL DEFAULT '',
  from_port    integer      NOT NULL DEFAULT 0,
  to_proto     varchar(16)  NOT NULL,
  to_ip        varchar(64)  NOT NULL DEFAULT '',
  to_port      integer      NOT NULL DEFAULT 0,
  fromtag      text         NOT NULL DEFAULT '',
  direction    varchar(4)   NOT NULL DEFAULT ''
);

CREATE INDEX sip_trace_callid_idx ON sip_trace (callid);
CREATE INDEX sip_trace_time_stamp_idx ON sip_trace (time_stamp);
CREATE INDEX sip_trace_trace_attrs_idx ON sip_trace (trace_attrs);

INSERT INTO version (table_name, table_version) VALUES ('sip_trace', 1);
