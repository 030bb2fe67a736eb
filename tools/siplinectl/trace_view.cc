#include "tools/siplinectl/trace_view.h"

#include <map>

#include "core/trace/ladder.h"

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
    if (!m.contains("message") || !m["message"].is_string()) return bad("no message text");
    r.message = m["message"].get<std::string>();
    out.push_back(std::move(r));
  }
  return out;
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
