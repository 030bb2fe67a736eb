// One traced message as it travels through the trace queue (encode() in the capturing process,
// decode() in the writer), and what the writer makes of it: a sip_trace row (buildRow) and the
// raw-byte scans both need (the start line, From/To URIs, the From tag). The scans never parse
// the whole message: they walk header lines from the raw bytes and accept compact forms.
// Process-private values; pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/trace/trace_record.h"

namespace sipline::siptrace {

struct Item {
  trace::Record record;
  std::string call_id;
  std::string trace_attrs;  // the traced user (trace_user) or sip_trace()'s argument
};

// The queue entry of an item given by parts (no copy of the message before the queue).
std::string encodeHeader(std::int64_t time_us, Proto proto, bool outgoing, const SockAddr& src,
                         const SockAddr& dst, std::string_view call_id,
                         std::string_view trace_attrs, std::size_t message_size);
// The same into `out` (replacing its content, reusing its buffer: a worker encodes every
// traced message into the same string).
void encodeHeaderInto(std::string& out, std::int64_t time_us, Proto proto, bool outgoing,
                      const SockAddr& src, const SockAddr& dst, std::string_view call_id,
                      std::string_view trace_attrs, std::size_t message_size);
std::string encodeItem(const Item& item);  // header + call_id + attrs + message (tests)
Result<Item> decodeItem(std::string_view entry);
// The same into `item`, reusing its strings' buffers, but the message, which stays where it
// is: `message` views it inside `entry` (item.record.message is left as it was). The writer
// decodes every message this way into the same few items: no copy, no allocation per message.
// `item` is unspecified on error.
Status decodeItemInPlace(std::string_view entry, Item& item, std::string_view& message);

// The user and host of a From/To/Contact header value: `"A" <sip:alice@ex.com>;tag=1`,
// `sip:alice@ex.com;tag=1`, `<sips:alice:pw@ex.com:5061;transport=tls>`. Empty user when the
// URI has none; host lower-cased by the caller when it compares.
struct UriUserHost {
  std::string_view user;
  std::string_view host;
};
UriUserHost uriUserHost(std::string_view header_value);
// The tag parameter of a From/To header value ("" when none).
std::string_view tagParam(std::string_view header_value);

// What a sip_trace row holds (OpenSIPS's columns, without id). The text fields are views into
// the item and the message it was built from (or constants): valid while those are. Only the
// addresses are formatted into strings of their own.
struct TraceRow {
  std::int64_t time_us = 0;  // unix µs; the DB gets time_stamp (seconds) and time_us (µs part)
  std::string_view callid;
  std::string_view trace_attrs;
  std::string_view msg;
  std::string_view method;  // request: its method; reply: the CSeq method
  std::string_view status;  // reply: "200 OK"; request: ""
  std::string_view from_proto;
  std::string from_ip;
  int from_port = 0;
  std::string_view to_proto;
  std::string to_ip;
  int to_port = 0;
  std::string_view fromtag;
  std::string_view direction;  // "in" or "out"
};
TraceRow buildRow(const Item& item);
// The same with the message given apart (item.record.message is not read).
TraceRow buildRow(const Item& item, std::string_view message);
// A row of a temporary item would view freed text.
TraceRow buildRow(Item&& item) = delete;
TraceRow buildRow(Item&& item, std::string_view message) = delete;

// "2026-11-27 18:39:12.123456+00" for unix microseconds.
std::string timestampText(std::int64_t time_us);

}  // namespace sipline::siptrace
