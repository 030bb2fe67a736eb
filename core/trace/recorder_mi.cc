#include "core/trace/recorder_mi.h"

#include <algorithm>

#include "core/base/base64.h"
#include "core/base/strings.h"
#include "core/config/socket_spec.h"

namespace sipline::trace {

std::vector<MiParamSpec> flightRecorderMiParams() {
  return {MiParamSpec::str("call_id", "only the messages of this Call-ID (not empty)").opt(),
          MiParamSpec::integer("seconds", "only the last N seconds").opt(),
          MiParamSpec::integer("max", "at most N messages, the newest (default 1000)").opt()};
}

Result<Json> flightRecorderMi(const MiParams& params, const FlightRecorder* recorder,
                              std::int64_t now_us) {
  if (recorder == nullptr) {
    return Status::failedPrecondition(
        "the flight recorder is off (flight_recorder_size = 0 in the settings)");
  }
  RecorderQuery q;
  q.call_id = params.str("call_id");
  // An empty query means every call; asked for by name it is a caller's mistake (an unset
  // variable), and answering with the whole recorder would hide it.
  if (params.has("call_id") && q.call_id.empty()) {
    return Status::invalidArgument("call_id is empty (leave it out for every call)");
  }
  std::int64_t seconds = params.integer("seconds", 0);
  std::int64_t max = params.integer("max", 1000);
  if (seconds < 0) return Status::invalidArgument("seconds must be 0 or more");
  seconds = std::min<std::int64_t>(seconds, std::int64_t{recorder->minutes()} * 60);
  if (max < 1 || max > 100000) return Status::invalidArgument("max must be in 1..100000");
  if (seconds > 0) q.since_us = now_us - seconds * 1000000;
  q.max_messages = static_cast<std::size_t>(max);
  Json list = Json::array();
  for (const RecordedMessage& m : recorder->read(q, now_us)) {
    Json e = Json::object();
    e["time_us"] = m.time_us;
    e["proto"] = protoName(m.proto);
    e["direction"] = m.outgoing ? "out" : "in";
    e["src"] = m.src.toString();
    e["dst"] = m.dst.toString();
    e["call_id"] = m.call_id;
    e["message"] = m.message;
    // JSON carries UTF-8 only: a message that is not (a binary ISUP body from a gateway, a
    // Latin-1 display name) also travels byte-exact in base64, for pcap exports.
    if (!isUtf8(m.message)) e["message_b64"] = base64Encode(m.message);
    list.push_back(std::move(e));
  }
  Json j = Json::object();
  j["minutes"] = recorder->minutes();
  j["capacity_kb"] = recorder->capacity() / 1024;
  j["recorded"] = recorder->recorded();
  j["skipped"] = recorder->skipped();
  j["messages"] = std::move(list);
  return j;
}

}  // namespace sipline::trace
