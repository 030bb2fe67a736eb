#include "modules/siptrace/trace_item.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>
#include <type_traits>

#include "core/config/socket_spec.h"
#include "core/trace/capture.h"

namespace sipline::siptrace {
namespace {

struct ItemHeader {
  std::int64_t time_us;
  PackedAddr src;
  PackedAddr dst;
  std::uint32_t message_size;
  std::uint16_t call_id_size;
  std::uint16_t attrs_size;
  std::uint8_t proto;
  std::uint8_t outgoing;
};
static_assert(std::is_trivially_copyable_v<ItemHeader>);

constexpr std::size_t kMaxShort = 0xffff;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view firstLine(std::string_view message) {
  std::size_t end = message.find('\n');
  return trim(message.substr(0, end));
}

}  // namespace

void encodeHeaderInto(std::string& out, std::int64_t time_us, Proto proto, bool outgoing,
                      const SockAddr& src, const SockAddr& dst, std::string_view call_id,
                      std::string_view trace_attrs, std::size_t message_size) {
  ItemHeader h{};
  h.time_us = time_us;
  h.src = PackedAddr::of(src);
  h.dst = PackedAddr::of(dst);
  h.message_size = static_cast<std::uint32_t>(message_size);
  h.call_id_size = static_cast<std::uint16_t>(std::min(call_id.size(), kMaxShort));
  h.attrs_size = static_cast<std::uint16_t>(std::min(trace_attrs.size(), kMaxShort));
  h.proto = static_cast<std::uint8_t>(proto);
  h.outgoing = outgoing ? 1 : 0;
  out.assign(reinterpret_cast<const char*>(&h), sizeof h);
  out.append(call_id.substr(0, h.call_id_size));
  out.append(trace_attrs.substr(0, h.attrs_size));
}

std::string encodeHeader(std::int64_t time_us, Proto proto, bool outgoing, const SockAddr& src,
                         const SockAddr& dst, std::string_view call_id,
                         std::string_view trace_attrs, std::size_t message_size) {
  std::string out;
  encodeHeaderInto(out, time_us, proto, outgoing, src, dst, call_id, trace_attrs, message_size);
  return out;
}

std::string encodeItem(const Item& item) {
  const trace::Record& r = item.record;
  return encodeHeader(r.time_us, r.proto, r.outgoing, r.src, r.dst, item.call_id, item.trace_attrs,
                      r.message.size()) +
         r.message;
}

namespace {

// The header of `entry`, checked against the entry's size and the known transports.
Status readHeader(std::string_view entry, ItemHeader& h) {
  if (entry.size() < sizeof h) return Status::invalidArgument("trace entry too short");
  std::memcpy(&h, entry.data(), sizeof h);
  std::size_t total =
      sizeof h + std::size_t{h.call_id_size} + h.attrs_size + std::size_t{h.message_size};
  if (total != entry.size()) return Status::invalidArgument("trace entry of the wrong size");
  if (h.proto > static_cast<std::uint8_t>(Proto::kTls)) {
    return Status::invalidArgument("trace entry with an unknown transport");
  }
  return Status::ok();
}

Result<std::size_t> decodeHeaderInto(std::string_view entry, Item& item) {
  ItemHeader h{};
  Status st = readHeader(entry, h);
  if (!st.isOk()) return st;
  item.record.time_us = h.time_us;
  item.record.proto = static_cast<Proto>(h.proto);
  item.record.outgoing = h.outgoing != 0;
  item.record.src = h.src.unpack();
  item.record.dst = h.dst.unpack();
  std::size_t at = sizeof h;
  item.call_id.assign(entry.substr(at, h.call_id_size));
  at += h.call_id_size;
  item.trace_attrs.assign(entry.substr(at, h.attrs_size));
  at += h.attrs_size;
  return at;
}

}  // namespace

Result<Item> decodeItem(std::string_view entry) {
  Item item;
  std::string_view message;
  Status st = decodeItemInPlace(entry, item, message);
  if (!st.isOk()) return st;
  item.record.message.assign(message);
  return item;
}

Status decodeItemInPlace(std::string_view entry, Item& item, std::string_view& message) {
  Result<std::size_t> at = decodeHeaderInto(entry, item);
  if (!at.isOk()) return at.status();
  message = entry.substr(at.value());
  return Status::ok();
}

UriUserHost uriUserHost(std::string_view v) {
  std::string_view uri = v;
  std::size_t lt = v.find('<');
  if (lt != std::string_view::npos) {
    std::size_t gt = v.find('>', lt);
    uri = v.substr(lt + 1, gt == std::string_view::npos ? std::string_view::npos : gt - lt - 1);
  } else {
    uri = v.substr(0, v.find(';'));  // name-addr-less form: header params follow ';'
  }
  uri = trim(uri);
  std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos) return {};
  bool tel = equalsNoCase(uri.substr(0, colon), "tel");
  uri.remove_prefix(colon + 1);  // the scheme
  UriUserHost out;
  if (tel) {  // tel:+123;params: the number counts as the user
    out.user = uri.substr(0, uri.find(';'));
    return out;
  }
  std::size_t at = uri.find('@');
  std::string_view hostpart = uri;
  if (at != std::string_view::npos) {
    std::string_view user = uri.substr(0, at);
    out.user = user.substr(0, user.find(':'));  // no password
    hostpart = uri.substr(at + 1);
  }
  std::size_t end = 0;
  if (!hostpart.empty() && hostpart.front() == '[') {
    end = hostpart.find(']');
    end = end == std::string_view::npos ? hostpart.size() : end + 1;
  } else {
    end = hostpart.find_first_of(":;?>");
    if (end == std::string_view::npos) end = hostpart.size();
  }
  out.host = hostpart.substr(0, end);
  return out;
}

std::string_view tagParam(std::string_view v) {
  std::size_t gt = v.find('>');
  std::size_t from = gt == std::string_view::npos ? 0 : gt + 1;
  while (true) {
    std::size_t semi = v.find(';', from);
    if (semi == std::string_view::npos) return {};
    std::string_view param = v.substr(semi + 1);
    param = param.substr(0, param.find(';'));
    param = trim(param);
    std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && equalsNoCase(trim(param.substr(0, eq)), "tag")) {
      return trim(param.substr(eq + 1));
    }
    from = semi + 1;
  }
}

TraceRow buildRow(const Item& item) { return buildRow(item, item.record.message); }

TraceRow buildRow(const Item& item, std::string_view message) {
  const trace::Record& r = item.record;
  TraceRow row;
  row.time_us = r.time_us;
  row.callid = item.call_id;
  row.trace_attrs = item.trace_attrs;
  row.msg = message;
  std::string_view line = firstLine(message);
  if (line.substr(0, 8) == "SIP/2.0 ") {
    row.status = trim(line.substr(8));
    std::optional<std::string_view> cseq = trace::rawHeaderValue(message, "cseq", "");
    if (cseq) {
      std::string_view c = *cseq;
      std::size_t sp = c.find_first_of(" \t");
      if (sp != std::string_view::npos) row.method = trim(c.substr(sp + 1));
    }
  } else {
    row.method = line.substr(0, line.find(' '));
  }
  row.from_proto = row.to_proto = protoName(r.proto);
  row.from_ip = r.src.ip();
  row.from_port = r.src.port();
  row.to_ip = r.dst.ip();
  row.to_port = r.dst.port();
  std::optional<std::string_view> from = trace::rawHeaderValue(message, "from", "f");
  if (from) row.fromtag = tagParam(*from);
  row.direction = r.outgoing ? "out" : "in";
  return row;
}

std::string timestampText(std::int64_t time_us) {
  // By hand, not snprintf: one per stored message. The date and time of the last second are
  // kept: the messages of a batch share a few seconds, and gmtime_r is the dearer part.
  thread_local std::time_t last_secs = std::numeric_limits<std::time_t>::min();  // none yet
  thread_local char last[20];
  std::time_t secs = static_cast<std::time_t>(time_us / 1000000);
  auto digits = [](char* buf, std::size_t end, long v, int n) {
    for (int i = 0; i < n; ++i, v /= 10)
      buf[end - 1 - static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
  };
  if (secs != last_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::memcpy(last, "0000-00-00 00:00:00", sizeof last);
    digits(last, 4, tm.tm_year + 1900L, 4);
    digits(last, 7, tm.tm_mon + 1L, 2);
    digits(last, 10, tm.tm_mday, 2);
    digits(last, 13, tm.tm_hour, 2);
    digits(last, 16, tm.tm_min, 2);
    digits(last, 19, tm.tm_sec, 2);
    last_secs = secs;
  }
  char buf[32] = "0000-00-00 00:00:00.000000+00";
  std::memcpy(buf, last, 19);
  digits(buf, 26, static_cast<long>(time_us % 1000000), 6);
  return std::string(buf, 29);
}

}  // namespace sipline::siptrace
