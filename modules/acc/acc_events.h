// What acc records, and when: the request side of an accounted transaction (kept with the
// transaction by tm, or with the dialog by the dialog module, as packed text) and the rows
// and syslog messages made from it when the final reply or the end of the call arrives.
// Pure functions over plain values: no queue, no script types beyond the request's fields,
// so tests call them directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/acc/acc_record.h"
#include "modules/acc/acc_syslog.h"

namespace sipline::acc {

// What to record for a request, a bit mask.
inline constexpr std::uint32_t kLogTx = 1u << 0;       // syslog: the transaction (2xx; any
                                                       // final with kFailed)
inline constexpr std::uint32_t kDbTx = 1u << 1;        // DB acc table: the same
inline constexpr std::uint32_t kLogMissed = 1u << 2;   // syslog: an INVITE that failed
inline constexpr std::uint32_t kDbMissed = 1u << 3;    // DB missed_calls table: the same
inline constexpr std::uint32_t kFailed = 1u << 4;      // failed transactions too (>= 300)
inline constexpr std::uint32_t kLogCdr = 1u << 5;      // syslog: one record when the call ends
inline constexpr std::uint32_t kDbCdr = 1u << 6;       // DB acc table: the same
inline constexpr std::uint32_t kCdrWatched = 1u << 7;  // the dialog module follows the call
                                                       // (its 2xx makes no tx record)

// do_accounting(backends, flags): "log", "db", "log|db"; flags a subset of
// "cdr|missed|failed" (',' separates too). kInvalidArgument naming the bad word.
Result<std::uint32_t> parseAccounting(std::string_view backends, std::string_view flags);

// The request side of a record.
struct RequestInfo {
  std::uint32_t modes = 0;
  std::string method;
  std::string call_id;
  std::string from_tag;
  std::string to_tag;  // the request's (in-dialog requests); replies give theirs
  std::string cseq;    // the number
  std::vector<std::optional<std::string>> db_extras;
  std::vector<std::optional<std::string>> log_extras;
};
std::string packRequest(const RequestInfo& info);
bool unpackRequest(std::string_view text, RequestInfo& out);

// The final reply of a transaction.
struct FinalReply {
  int code = 0;
  std::string reason;
  std::string to_tag;
  bool canceled = false;
};

// The end of a call (dialog::DialogEnd, flattened).
struct CallEnd {
  std::string to_tag;
  std::int64_t created_ms = 0;
  std::int64_t answered_ms = 0;
  std::int64_t ended_ms = 0;
  int code = 0;
  std::string reason;
  std::string ended_by;  // "caller", "callee", "timeout", ...
};

// The names of the tables and extras the rows use (the module parameters).
struct Layout {
  std::string acc_table = "acc";
  std::string missed_table = "missed_calls";
  std::vector<std::string> db_extra_names;
  std::vector<std::string> log_extra_names;
  int facility = 16;  // local0
  bool report_cancels = false;
};

// What one event makes.
struct Records {
  std::vector<Row> rows;
  std::vector<std::string> logs;  // formatted syslog messages
};

// The records of a transaction's first final reply at `now_ms` (none for a provisional, a
// CANCEL without report_cancels, a 2xx followed by a CDR, a failure without kFailed/missed).
Records recordsForReply(const Layout& layout, const RequestInfo& req, const FinalReply& reply,
                        std::int64_t now_ms, int pid);
// The CDR of a call that was answered (none for an unanswered one: its failure is a
// transaction record).
Records recordsForCallEnd(const Layout& layout, const RequestInfo& req, const CallEnd& end,
                          int pid);
// acc_db_request(comment, table) / acc_log_request(comment): the request at once. A comment
// starting with a 3-digit code gives sip_code and sip_reason ("404 Not here"), else code 0
// and the comment as the reason.
Row requestRow(const Layout& layout, const RequestInfo& req, std::string_view comment,
               std::string_view table, std::int64_t now_ms);
std::string requestLog(const Layout& layout, const RequestInfo& req, std::string_view comment,
                       std::int64_t now_ms, int pid);

// The To tag of a reply as sent ("" when absent or unparsable).
std::string toTagOfReply(std::string_view wire);

}  // namespace sipline::acc
