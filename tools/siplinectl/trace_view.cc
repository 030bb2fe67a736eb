#include "tools/siplinectl/trace_view.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "core/base/base64.h"
#include "core/config/socket_spec.h"
#include "core/trace/ladder.h"
#include "core/trace/pcap.h"
#include "tools/siplinectl/run_util.h"

namespace sipline::ctl {
namespace {

bool parseProto(const std::string& text, Proto& out) {
  if (text == "udp")
    out = Proto::kUdp;
  else if (text == "tcp")
    out = Proto::kTcp;
  else if (text == "tls")
    out = Proto::kTls;
  else
    return false;
  return true;
}

// "127.0.0.1:5060" or "[::1]:5060".
bool parseAddr(const std::string& text, SockAddr& out) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size()) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned long port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<unsigned long>(c - '0');
    if (port > 65535) return false;
  }
  return SockAddr::fromNumeric(host, static_cast<std::uint16_t>(port), out);
}

}  // namespace

Result<std::vector<trace::Record>> recordsFromRecorder(const Json& answer) {
  if (!answer.is_object() || !answer.contains("messages") || !answer["messages"].is_array()) {
    return Status::invalidArgument("the server's answer has no message list");
  }
  std::vector<trace::Record> out;
  std::size_t i = 0;
  for (const Json& m : answer["messages"]) {
    ++i;
    trace::Record r;
    const auto bad = [&](const char* what) {
      return Status::invalidArgument("message " + std::to_string(i) + " of the answer: " + what);
    };
    if (!m.is_object()) return bad("not an object");
    if (!m.contains("time_us") || !m["time_us"].is_number_integer()) return bad("no time_us");
    r.time_us = m["time_us"].get<std::int64_t>();
    if (!m.contains("proto") || !m["proto"].is_string() ||
        !parseProto(m["proto"].get<std::string>(), r.proto)) {
      return bad("no transport");
    }
    r.outgoing = m.value("direction", "") == "out";
    if (!m.contains("src") || !m["src"].is_string() ||
        !parseAddr(m["src"].get<std::string>(), r.src)) {
      return bad("bad source address");
    }
    if (!m.contains("dst") || !m["dst"].is_string() ||
        !parseAddr(m["dst"].get<std::string>(), r.dst)) {
      return bad("bad destination address");
    }
    if (m.contains("message_b64")) {  // a message that is not UTF-8, byte-exact
      if (!m["message_b64"].is_string() ||
          !base64Decode(m["message_b64"].get<std::string>(), r.message)) {
        return bad("bad message_b64");
      }
    } else if (!m.contains("message") || !m["message"].is_string()) {
      return bad("no message text");
    } else {
      r.message = m["message"].get<std::string>();
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<trace::Record>> recordsFromDb(db::Connection& conn, const std::string& call_id,
                                                 const std::string& table) {
  // time_stamp holds the microseconds too; floor + time_us keeps them exact as written.
  Result<db::Rows> rows = conn.query(
      "SELECT floor(extract(epoch FROM time_stamp))::bigint * 1000000 + time_us AS t, "
      "from_proto, from_ip, from_port, to_proto, to_ip, to_port, direction, msg "
      "FROM \"" +
          table + "\" WHERE callid = $1 ORDER BY time_stamp, id LIMIT 100000",
      {db::Param(call_id)});
  if (!rows.isOk()) return rows.status();
  const db::Rows& r = rows.value();
  std::vector<trace::Record> out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    const auto bad = [&](const char* what) {
      return Status::invalidArgument("row " + std::to_string(i + 1) + " of " + table + ": " + what);
    };
    trace::Record rec;
    std::int64_t from_port = 0, to_port = 0;
    if (!r.getInt(i, 0, rec.time_us)) return bad("no time");
    std::string_view from_proto = r.text(i, 1).value_or("");
    if (!parseProto(std::string(from_proto), rec.proto)) return bad("unknown transport");
    if (!r.getInt(i, 3, from_port) || !r.getInt(i, 6, to_port) || from_port < 0 ||
        from_port > 65535 || to_port < 0 || to_port > 65535) {
      return bad("bad port");
    }
    if (!SockAddr::fromNumeric(r.text(i, 2).value_or(""), static_cast<std::uint16_t>(from_port),
                               rec.src) ||
        !SockAddr::fromNumeric(r.text(i, 5).value_or(""), static_cast<std::uint16_t>(to_port),
                               rec.dst)) {
      return bad("bad address");
    }
    rec.outgoing = r.text(i, 7).value_or("") == "out";
    rec.message = std::string(r.text(i, 8).value_or(""));
    out.push_back(std::move(rec));
  }
  return out;
}

int outputTrace(const Invocation& inv, RunContext& ctx, const std::vector<trace::Record>& records,
                const std::string& none_message) {
  if (records.empty()) return fail(ctx, inv, kExitNotFound, none_message);
  if (inv.json) {
    Json list = Json::array();
    for (const trace::Record& r : records) {
      Json m = Json::object();
      m["time_us"] = r.time_us;
      m["proto"] = protoName(r.proto);
      m["direction"] = r.outgoing ? "out" : "in";
      m["src"] = r.src.toString();
      m["dst"] = r.dst.toString();
      m["message"] = r.message;
      list.push_back(std::move(m));
    }
    ctx.out << list.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  if (inv.pcap_file.empty()) {
    ctx.out << ladderText(records);
    return kExitOk;
  }
  const std::string pcap = trace::writePcap(records);
  if (inv.pcap_file == "-") {
    ctx.out << pcap;
    return kExitOk;
  }
  std::ofstream f(inv.pcap_file, std::ios::binary | std::ios::trunc);
  if (f) f.write(pcap.data(), static_cast<std::streamsize>(pcap.size()));
  if (f) f.close();
  if (!f) {
    return fail(ctx, inv, kExitFailure,
                "cannot write " + inv.pcap_file + ": " + std::strerror(errno));
  }
  ctx.out << records.size() << " messages written to " << inv.pcap_file << "\n";
  return kExitOk;
}

std::string ladderText(const std::vector<trace::Record>& records) {
  std::map<std::string, std::uint16_t> own;  // the server's sockets: "ip:port" -> port
  for (const trace::Record& r : records) {
    const SockAddr& mine = r.outgoing ? r.src : r.dst;
    own[mine.toString()] = mine.port();
  }
  trace::LadderOptions opts;
  for (const auto& [addr, port] : own) {
    opts.names[addr] = own.size() == 1 ? "sipline" : "sipline:" + std::to_string(port);
  }
  return trace::renderLadder(records, opts);
}

}  // namespace sipline::ctl
