#include "modules/acc/acc_events.h"

#include <cmath>
#include <string>

#include "core/base/strings.h"
#include "core/db/db_text.h"
#include "core/parser/sip_message.h"

namespace sipline::acc {
namespace {

// Fields as <len>:<bytes>; an optional one starts with 'N' (null) or 'V' (a value).
void putField(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
}

bool getField(std::string_view& in, std::string& out) {
  std::size_t colon = in.find(':');
  std::int64_t len = 0;
  if (colon == std::string_view::npos || !parseInt(in.substr(0, colon), len) || len < 0 ||
      static_cast<std::size_t>(len) > in.size() - colon - 1) {
    return false;
  }
  out.assign(in.substr(colon + 1, static_cast<std::size_t>(len)));
  in.remove_prefix(colon + 1 + static_cast<std::size_t>(len));
  return true;
}

void putOptionals(std::string& out, const std::vector<std::optional<std::string>>& values) {
  putField(out, std::to_string(values.size()));
  for (const auto& v : values) putField(out, v ? "V" + *v : std::string("N"));
}

bool getOptionals(std::string_view& in, std::vector<std::optional<std::string>>& out) {
  std::string count_text;
  std::int64_t count = 0;
  if (!getField(in, count_text) || !parseInt(count_text, count) || count < 0 || count > 1000) {
    return false;
  }
  out.clear();
  for (std::int64_t i = 0; i < count; ++i) {
    std::string f;
    if (!getField(in, f) || f.empty()) return false;
    if (f[0] == 'N') {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(f.substr(1));
    }
  }
  return true;
}

std::int64_t roundedSeconds(std::int64_t ms) {
  return static_cast<std::int64_t>(std::llround(static_cast<double>(ms) / 1000.0));
}

Row baseRow(const std::string& table, std::string key, const RequestInfo& req,
            std::string_view to_tag, int code, std::string_view reason, std::int64_t time_ms) {
  Row row;
  row.table = table;
  // The key is made from the raw fields; the columns get what the DB takes.
  row.columns = {{"acc_key", std::move(key)},
                 {"method", db::dbText(req.method)},
                 {"from_tag", db::dbText(req.from_tag)},
                 {"to_tag", db::dbText(to_tag)},
                 {"callid", db::dbText(req.call_id)},
                 {"sip_code", std::to_string(code)},
                 {"sip_reason", db::dbText(reason)},
                 {"time", formatTimestamp(time_ms)}};
  return row;
}

void addExtras(Row& row, const Layout& layout, const RequestInfo& req) {
  for (std::size_t i = 0; i < layout.db_extra_names.size(); ++i) {
    std::optional<std::string> v = i < req.db_extras.size() ? req.db_extras[i] : std::nullopt;
    if (v) v = db::dbText(*v);
    row.columns.push_back({layout.db_extra_names[i], std::move(v)});
  }
}

KeyValues baseLog(const RequestInfo& req, std::string_view to_tag, int code,
                  std::string_view reason, std::int64_t time_ms) {
  return {{"timestamp", std::to_string(time_ms / 1000)},
          {"method", req.method},
          {"from_tag", req.from_tag},
          {"to_tag", std::string(to_tag)},
          {"call_id", req.call_id},
          {"code", std::to_string(code)},
          {"reason", std::string(reason)}};
}

void addLogExtras(KeyValues& kvs, const Layout& layout, const RequestInfo& req) {
  for (std::size_t i = 0; i < layout.log_extra_names.size(); ++i) {
    const std::optional<std::string>* v = i < req.log_extras.size() ? &req.log_extras[i] : nullptr;
    kvs.emplace_back(layout.log_extra_names[i], v != nullptr && *v ? **v : std::string());
  }
}

}  // namespace

Result<std::uint32_t> parseAccounting(std::string_view backends, std::string_view flags) {
  auto words = [](std::string_view text) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : text) {
      if (c == '|' || c == ',') {
        out.push_back(std::string(trim(cur)));
        cur.clear();
      } else {
        cur += c;
      }
    }
    out.push_back(std::string(trim(cur)));
    return out;
  };
  bool log = false;
  bool db = false;
  for (const std::string& w : words(backends)) {
    if (w == "log") {
      log = true;
    } else if (w == "db") {
      db = true;
    } else {
      return Status::invalidArgument("unknown backend \"" + w + "\" (log, db or log|db)");
    }
  }
  bool cdr = false;
  bool missed = false;
  bool failed = false;
  if (!trim(flags).empty()) {
    for (const std::string& w : words(flags)) {
      if (w == "cdr") {
        cdr = true;
      } else if (w == "missed") {
        missed = true;
      } else if (w == "failed") {
        failed = true;
      } else {
        return Status::invalidArgument("unknown flag \"" + w + "\" (cdr, missed, failed)");
      }
    }
  }
  std::uint32_t modes = 0;
  if (log) modes |= kLogTx | (missed ? kLogMissed : 0) | (cdr ? kLogCdr : 0);
  if (db) modes |= kDbTx | (missed ? kDbMissed : 0) | (cdr ? kDbCdr : 0);
  if (failed) modes |= kFailed;
  return modes;
}

std::string packRequest(const RequestInfo& info) {
  std::string out = "R1;";
  putField(out, std::to_string(info.modes));
  putField(out, info.method);
  putField(out, info.call_id);
  putField(out, info.from_tag);
  putField(out, info.to_tag);
  putField(out, info.cseq);
  putOptionals(out, info.db_extras);
  putOptionals(out, info.log_extras);
  // The dialog module keeps this as text without NUL.
  for (char& c : out) {
    if (c == '\0') c = ' ';
  }
  return out;
}

bool unpackRequest(std::string_view text, RequestInfo& out) {
  if (text.substr(0, 3) != "R1;") return false;
  text.remove_prefix(3);
  std::string modes;
  std::int64_t m = 0;
  if (!getField(text, modes) || !parseInt(modes, m) || m < 0) return false;
  out.modes = static_cast<std::uint32_t>(m);
  return getField(text, out.method) && getField(text, out.call_id) &&
         getField(text, out.from_tag) && getField(text, out.to_tag) && getField(text, out.cseq) &&
         getOptionals(text, out.db_extras) && getOptionals(text, out.log_extras) && text.empty();
}

Records recordsForReply(const Layout& layout, const RequestInfo& req, const FinalReply& reply,
                        std::int64_t now_ms, int pid) {
  Records out;
  if (reply.code < 200) return out;
  if (req.method == "CANCEL" && !layout.report_cancels) return out;
  bool ok = reply.code < 300;
  bool invite = req.method == "INVITE";
  bool cdr_follows = ok && invite && (req.modes & kCdrWatched) != 0;
  bool tx = ok || (req.modes & kFailed) != 0;
  if (tx && (req.modes & kDbTx) != 0 && !(cdr_follows && (req.modes & kDbCdr) != 0)) {
    // No To tag in the key of tx and missed: a local reply's tag changes when the server
    // restarts, while Call-ID, From tag, CSeq and method identify the server transaction.
    Row row =
        baseRow(layout.acc_table, accKey("tx", req.call_id, req.from_tag, "", req.cseq, req.method),
                req, reply.to_tag, reply.code, reply.reason, now_ms);
    addExtras(row, layout, req);
    out.rows.push_back(std::move(row));
  }
  if (tx && (req.modes & kLogTx) != 0 && !(cdr_follows && (req.modes & kLogCdr) != 0)) {
    KeyValues kvs = baseLog(req, reply.to_tag, reply.code, reply.reason, now_ms);
    addLogExtras(kvs, layout, req);
    out.logs.push_back(formatSyslog(layout.facility, pid, now_ms,
                                    ok ? "transaction answered" : "transaction failed", kvs));
  }
  if (!ok && invite && (req.modes & kDbMissed) != 0) {
    Row row = baseRow(layout.missed_table,
                      accKey("missed", req.call_id, req.from_tag, "", req.cseq, req.method), req,
                      reply.to_tag, reply.code, reply.reason, now_ms);
    addExtras(row, layout, req);
    out.rows.push_back(std::move(row));
  }
  if (!ok && invite && (req.modes & kLogMissed) != 0) {
    KeyValues kvs = baseLog(req, reply.to_tag, reply.code, reply.reason, now_ms);
    addLogExtras(kvs, layout, req);
    out.logs.push_back(formatSyslog(layout.facility, pid, now_ms, "call missed", kvs));
  }
  return out;
}

Records recordsForCallEnd(const Layout& layout, const RequestInfo& req, const CallEnd& end,
                          int pid) {
  Records out;
  if (end.answered_ms == 0) return out;
  std::int64_t talk_ms = std::max<std::int64_t>(0, end.ended_ms - end.answered_ms);
  std::int64_t setup_ms = std::max<std::int64_t>(0, end.answered_ms - end.created_ms);
  int code = end.code != 0 ? end.code : 200;
  std::string reason = end.code != 0 ? end.reason : "OK";
  if ((req.modes & kDbCdr) != 0) {
    Row row = baseRow(layout.acc_table,
                      accKey("cdr", req.call_id, req.from_tag, end.to_tag, "", "INVITE"), req,
                      end.to_tag, code, reason, end.answered_ms);
    row.columns.push_back({"duration", std::to_string(roundedSeconds(talk_ms))});
    row.columns.push_back({"ms_duration", std::to_string(talk_ms)});
    row.columns.push_back({"setuptime", std::to_string(roundedSeconds(setup_ms))});
    row.columns.push_back({"created", formatTimestamp(end.created_ms)});
    row.columns.push_back({"ended_by", end.ended_by});
    addExtras(row, layout, req);
    out.rows.push_back(std::move(row));
  }
  if ((req.modes & kLogCdr) != 0) {
    KeyValues kvs = baseLog(req, end.to_tag, code, reason, end.answered_ms);
    kvs.emplace_back("created", std::to_string(end.created_ms / 1000));
    kvs.emplace_back("setuptime", std::to_string(roundedSeconds(setup_ms)));
    kvs.emplace_back("duration", std::to_string(roundedSeconds(talk_ms)));
    kvs.emplace_back("ms_duration", std::to_string(talk_ms));
    kvs.emplace_back("ended_by", end.ended_by);
    addLogExtras(kvs, layout, req);
    out.logs.push_back(formatSyslog(layout.facility, pid, end.ended_ms, "call ended", kvs));
  }
  return out;
}

namespace {

void codeOfComment(std::string_view comment, int& code, std::string& reason) {
  code = 0;
  reason = std::string(comment);
  if (comment.size() >= 3 && std::isdigit(static_cast<unsigned char>(comment[0])) &&
      std::isdigit(static_cast<unsigned char>(comment[1])) &&
      std::isdigit(static_cast<unsigned char>(comment[2])) &&
      (comment.size() == 3 || comment[3] == ' ')) {
    code = (comment[0] - '0') * 100 + (comment[1] - '0') * 10 + (comment[2] - '0');
    reason = std::string(trim(comment.substr(3)));
  }
}

}  // namespace

Row requestRow(const Layout& layout, const RequestInfo& req, std::string_view comment,
               std::string_view table, std::int64_t now_ms) {
  int code = 0;
  std::string reason;
  codeOfComment(comment, code, reason);
  std::string kind = "req:" + std::string(comment);
  Row row = baseRow(std::string(table),
                    accKey(kind, req.call_id, req.from_tag, req.to_tag, req.cseq, req.method), req,
                    req.to_tag, code, reason, now_ms);
  addExtras(row, layout, req);
  return row;
}

std::string requestLog(const Layout& layout, const RequestInfo& req, std::string_view comment,
                       std::int64_t now_ms, int pid) {
  int code = 0;
  std::string reason;
  codeOfComment(comment, code, reason);
  KeyValues kvs = baseLog(req, req.to_tag, code, reason, now_ms);
  addLogExtras(kvs, layout, req);
  return formatSyslog(layout.facility, pid, now_ms, comment, kvs);
}

std::string toTagOfReply(std::string_view wire) {
  if (wire.empty()) return "";
  SipMessage msg;
  if (msg.parse(wire) != ParseError::kOk) return "";
  const NameAddr* to = msg.to();
  return to != nullptr ? std::string(to->tag) : std::string();
}

}  // namespace sipline::acc
