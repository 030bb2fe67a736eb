-- Sipline schema: table "dialog", table_version 1.
-- The calls the dialog module follows (db_mode write-back): one row per live dialog, written
-- by the module's dialog-db process every db_flush_interval and read back at start, so calls
-- (their profiles, values, timeouts and the data acc keeps with them) survive a restart.
-- Ended dialogs are deleted.
CREATE TABLE dialog (
  id               bigint       PRIMARY KEY,             -- the dialog's id (the did param)
  state            smallint     NOT NULL,                -- 1 unconfirmed, 2 early, 3 confirmed
  flags            integer      NOT NULL DEFAULT 0,      -- 1: BYE to both sides on timeout
  code             integer      NOT NULL DEFAULT 0,      -- the INVITE's final reply code
  reason           varchar(128) NOT NULL DEFAULT '',
  callid           varchar(255) NOT NULL,
  from_uri         varchar(255) NOT NULL,
  from_tag         varchar(128) NOT NULL,
  to_uri           varchar(255) NOT NULL,
  to_tag           varchar(128) NOT NULL DEFAULT '',     -- the callee's tag once answered
  ruri             varchar(512) NOT NULL DEFAULT '',     -- the INVITE's request-URI
  caller_contact   varchar(512) NOT NULL DEFAULT '',
  callee_contact   varchar(512) NOT NULL DEFAULT '',
  caller_route_set text         NOT NULL DEFAULT '',     -- Route value towards the caller
  callee_route_set text         NOT NULL DEFAULT '',     -- Route value towards the callee
  caller_cseq      bigint       NOT NULL DEFAULT 0,
  callee_cseq      bigint       NOT NULL DEFAULT 0,
  start_time       bigint       NOT NULL,                -- unix ms: the INVITE was seen
  answer_time      bigint       NOT NULL DEFAULT 0,      -- unix ms; 0: not answered
  timeout          bigint       NOT NULL DEFAULT 0,      -- unix ms: it expires; 0 until answered
  lifetime         integer      NOT NULL DEFAULT 0,      -- seconds ($DLG_timeout)
  profiles         text         NOT NULL DEFAULT '',     -- "<len>:<name><len>:<value>..."
  vars             text         NOT NULL DEFAULT '',     -- dialog values, same encoding
  watchers         text         NOT NULL DEFAULT ''      -- watcher name -> data (acc)
);

CREATE INDEX dialog_callid_idx ON dialog (callid);

INSERT INTO version (table_name, table_version) VALUES ('dialog', 1);
