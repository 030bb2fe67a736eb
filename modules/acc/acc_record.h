// An accounting row and its text form. A Row is what the writer inserts: a table and its
// columns (name, value or NULL). Its line form is what the shm queue carries and what the
// spool file keeps, one row per line, self-describing so that a spool outlives a change of
// the module's parameters:
//
//   A1 <TAB> table <TAB> col=value <TAB> col2 <TAB> ... <TAB> #<crc32 hex> <LF>
//
// A column without '=' is NULL. Values escape '\\', TAB, LF and CR as \\, \t, \n, \r and
// other control bytes as \xHH, so a line never holds a raw TAB or LF of its data. The
// trailing checksum covers everything before its TAB: a torn or damaged line is detected,
// never inserted. Table and column names are SQL identifiers ([a-z_][a-z0-9_]*, at most
// 63 bytes), checked when decoding too, so a spool line cannot smuggle SQL text.
// Plain values; process-private.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::acc {

struct Column {
  std::string name;
  std::optional<std::string> value;  // nullopt: NULL
};

struct Row {
  std::string table;
  std::vector<Column> columns;
  // The value of column `name` (nullptr when absent or NULL).
  const std::string* get(std::string_view name) const;
};

// The line form of `row`, ending in '\n'.
std::string encodeLine(const Row& row);
// A line without its '\n'. kInvalidArgument naming what is wrong (bad checksum, bad name,
// bad escape, unknown version).
Result<Row> decodeLine(std::string_view line);

// The unique key of a record: the SHA-256 (hex, 64 chars) of its identity: the kind of
// event ("tx", "missed", "cdr", "req:<comment>") and the SIP fields that identify it. The
// same event reported twice (a replay, a retransmission) has the same key.
std::string accKey(std::string_view kind, std::string_view call_id, std::string_view from_tag,
                   std::string_view to_tag, std::string_view cseq, std::string_view method);

// "2026-11-27 12:00:00.123+00" (UTC), what a timestamptz column takes.
std::string formatTimestamp(std::int64_t unix_ms);

}  // namespace sipline::acc
