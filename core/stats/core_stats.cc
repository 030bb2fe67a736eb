#include "core/stats/core_stats.h"

#include <cctype>
#include <iterator>
#include <string>

#include "core/shm/segment.h"

namespace sipline {
namespace {

// The order of the exposition: the common methods first, unknown ones last.
constexpr Method kMethodOrder[] = {
    Method::kInvite,  Method::kAck,       Method::kBye,    Method::kCancel,  Method::kRegister,
    Method::kOptions, Method::kSubscribe, Method::kNotify, Method::kMessage, Method::kInfo,
    Method::kUpdate,  Method::kPrack,     Method::kRefer,  Method::kPublish, Method::kOther,
};
static_assert(std::size(kMethodOrder) == kMethodStats, "every Method has a counter");

Status declareByMethod(StatsRegistry& r, CoreStats& s) {
  for (Method m : kMethodOrder) {
    std::string label = m == Method::kOther ? "other" : std::string(methodName(m));
    std::string name = "rcv_requests_";
    for (char c : label) {
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    StatLabels labels{"rcv_requests_method", {{"method", label}}};
    Status st = r.declare("core", name, &s.rcv_requests_by_method[static_cast<std::size_t>(m)],
                          StatKind::kCounter, "requests received, by method", std::move(labels));
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

Status declareByClass(StatsRegistry& r, CoreStats& s) {
  for (int i = 0; i < 6; ++i) {
    std::string cls = std::to_string(i + 1) + "xx";
    StatLabels labels{"rcv_replies_class", {{"class", cls}}};
    Status st = r.declare("core", "rcv_replies_" + cls, &s.rcv_replies_by_class[i],
                          StatKind::kCounter, "replies received, by class", std::move(labels));
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

}  // namespace

CoreStats& coreStats() {
  static CoreStats s;
  return s;
}

Status declareCoreStats(StatsRegistry& r) {
  CoreStats& s = coreStats();
  const struct {
    const char* name;
    StatCounter* counter;
    const char* help;
  } kCore[] = {
      {"rcv_requests", &s.rcv_requests, "requests received"},
      {"rcv_replies", &s.rcv_replies, "replies received"},
      {"fwd_requests", &s.fwd_requests, "requests relayed statelessly"},
      {"fwd_replies", &s.fwd_replies, "replies relayed statelessly"},
      {"drop_requests", &s.drop_requests, "requests dropped"},
      {"drop_replies", &s.drop_replies, "replies dropped"},
      {"err_requests", &s.err_requests, "requests that did not parse"},
      {"err_replies", &s.err_replies, "replies that did not parse"},
      {"parse_errors", &s.parse_errors, "datagrams that did not parse"},
      {"bad_msg_replies", &s.bad_replies_sent, "400 replies sent for bad requests"},
      {"too_many_hops", &s.too_many_hops, "requests refused with 483 by forward()"},
      {"absorbed_acks", &s.absorbed_acks,
       "ACKs of negative replies this server sent statelessly (not relayed)"},
      {"script_reloads", &s.script_reloads, "routing script reloads that took effect"},
      {"script_reload_errors", &s.script_reload_errors,
       "routing script reloads refused (the running script stayed)"},
  };
  for (const auto& c : kCore) {
    Status st = r.declare("core", c.name, c.counter, StatKind::kCounter, c.help);
    if (!st.isOk()) return st;
  }
  Status st = declareByMethod(r, s);
  if (st.isOk()) st = declareByClass(r, s);
  if (!st.isOk()) return st;
  auto usage = [](std::size_t shm::Usage::*field) {
    return [field]() -> std::uint64_t {
      shm::Segment* seg = shm::segment();
      return seg != nullptr ? seg->usage().*field : 0;
    };
  };
  const struct {
    const char* name;
    std::size_t shm::Usage::*field;
  } kShm[] = {{"total_size", &shm::Usage::size},
              {"used_size", &shm::Usage::used},
              {"free_size", &shm::Usage::free},
              {"max_used_size", &shm::Usage::max_used}};
  for (const auto& g : kShm) {
    Status st = r.declareComputed("shmem", g.name, usage(g.field), "shared memory bytes");
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

}  // namespace sipline
