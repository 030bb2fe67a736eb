#include "modules/dialog/dialog.h"

#include <charconv>
#include <ctime>

#include "core/base/log.h"
#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "core/sip/record_route.h"

namespace sipline::dialog {
namespace {

std::int64_t systemNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string_view sv(const shm::String& s) { return std::string_view(s.data(), s.size()); }

// The value of URI param `name` in ";a=b;did=12" (or "a=b;did=12"); "" when absent.
std::string_view uriParam(std::string_view params, std::string_view name) {
  std::size_t pos = 0;
  while (pos <= params.size()) {
    std::size_t end = params.find(';', pos);
    if (end == std::string_view::npos) end = params.size();
    std::string_view item = params.substr(pos, end - pos);
    std::size_t eq = item.find('=');
    if (item.substr(0, eq) == name && eq != std::string_view::npos) return item.substr(eq + 1);
    pos = end + 1;
  }
  return {};
}

// What attach() keeps for an early BYE: who sent it, then the dialog id.
constexpr const char* kByeByCaller = "bye-caller:";
constexpr const char* kByeByCallee = "bye-callee:";
static_assert(std::char_traits<char>::length(kByeByCaller) ==
              std::char_traits<char>::length(kByeByCallee));

bool parseId(std::string_view text, std::uint64_t& id) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() && end == text.data() + text.size() && id != 0;
}

// "a,b" of the Record-Route values in order.
std::string joinRoutes(const std::vector<NameAddr>* rrs, std::size_t from, std::size_t to,
                       bool reverse) {
  std::string out;
  if (rrs == nullptr) return out;
  for (std::size_t n = from; n < to; ++n) {
    std::size_t i = reverse ? to - 1 - (n - from) : n;
    if (!out.empty()) out += ',';
    out.append((*rrs)[i].text.data(), (*rrs)[i].text.size());
  }
  return out;
}

// The entries of a Route header value "<sip:a;lr>,<sip:b;lr>" (commas inside <> or quotes
// are not separators).
std::vector<std::string_view> splitRoutes(std::string_view route) {
  std::vector<std::string_view> out;
  bool in_angle = false;
  bool in_quote = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= route.size(); ++i) {
    char c = i < route.size() ? route[i] : ',';
    if (c == '"' && !in_angle) in_quote = !in_quote;
    if (in_quote) continue;
    if (c == '<') in_angle = true;
    if (c == '>') in_angle = false;
    if (c != ',' || in_angle) continue;
    std::string_view item = route.substr(start, i - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.push_back(item);
    start = i + 1;
  }
  return out;
}

// The URI of one route entry: between < and >, else the entry itself.
std::string_view routeUri(std::string_view entry) {
  std::size_t lt = entry.find('<');
  std::size_t gt = entry.find('>', lt == std::string_view::npos ? 0 : lt);
  if (lt == std::string_view::npos || gt == std::string_view::npos) return entry;
  return entry.substr(lt + 1, gt - lt - 1);
}

// The URI has the lr parameter (RFC 3261 §19.1.1): a loose router.
bool isLooseRouter(std::string_view uri) {
  std::size_t q = uri.find('?');
  if (q != std::string_view::npos) uri = uri.substr(0, q);
  std::size_t at = uri.find(';');
  while (at != std::string_view::npos) {
    std::size_t end = uri.find(';', at + 1);
    std::string_view param = uri.substr(at + 1, end == std::string_view::npos ? end : end - at - 1);
    std::string_view name = param.substr(0, param.find('='));
    if (name.size() == 2 && (name[0] | 0x20) == 'l' && (name[1] | 0x20) == 'r') return true;
    at = end;
  }
  return false;
}

}  // namespace

const char* endedByName(EndedBy by) {
  switch (by) {
    case EndedBy::kNone:
      return "";
    case EndedBy::kCaller:
      return "caller";
    case EndedBy::kCallee:
      return "callee";
    case EndedBy::kTimeout:
      return "timeout";
    case EndedBy::kManagement:
      return "management";
    case EndedBy::kShutdown:
      return "shutdown";
  }
  return "";
}

Result<CreateFlags> parseCreateFlags(std::string_view text) {
  CreateFlags flags;
  std::size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    std::size_t end = text.find_first_of("|,", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(pos, end - pos);
    if (word == "B" || word == "bye-on-timeout") {
      flags.bye_on_timeout = true;
    } else if (!word.empty()) {
      return Status::invalidArgument("unknown create_dialog flag \"" + std::string(word) +
                                     "\" (known: B, bye-on-timeout)");
    }
    pos = end + 1;
  }
  return flags;
}

std::vector<std::string> splitProfileNames(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(';', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view name = text.substr(pos, end - pos);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) out.emplace_back(name);
    pos = end + 1;
  }
  return out;
}

std::int64_t Service::nowMs() const { return now_ms_ != nullptr ? now_ms_() : systemNowMs(); }

Status Service::initForTest(shm::Segment& seg) {
  with_value_ = splitProfileNames(config_.profiles_with_value);
  no_value_ = splitProfileNames(config_.profiles_no_value);
  Result<Table> t = Table::create(seg, static_cast<std::uint32_t>(config_.hash_size), persists());
  if (!t.isOk()) return t.status();
  table_ = t.value();
  ready_ = true;
  return Status::ok();
}

Status Service::init(shm::Segment& seg, tm::Api* tm) {
  Status st = initForTest(seg);
  if (!st.isOk()) return st;
  tm_ = tm;
  if (tm_ != nullptr) {
    tm_watcher_ = tm_->registerWatcher(this, false);
    if (tm_watcher_ == 0) return Status::unavailable("dialog: tm has no watcher slot left");
  }
  return Status::ok();
}

Status Service::checkProfile(std::string_view name, bool with_value_given, bool& has_value) const {
  std::vector<std::string> with = splitProfileNames(config_.profiles_with_value);
  std::vector<std::string> without = splitProfileNames(config_.profiles_no_value);
  for (const auto& n : with) {
    if (n == name) {
      has_value = true;
      return Status::ok();
    }
  }
  for (const auto& n : without) {
    if (n == name) {
      has_value = false;
      if (with_value_given) {
        return Status::invalidArgument("profile \"" + std::string(name) +
                                       "\" is declared without value (profiles_no_value)");
      }
      return Status::ok();
    }
  }
  return Status::notFound("no dialog profile \"" + std::string(name) +
                          "\": declare it in profiles_with_value or profiles_no_value");
}

void Service::noteState(State from, State to) {
  auto early = [](State s) { return s == State::kUnconfirmed || s == State::kEarly; };
  if (early(from) && !early(to)) counters_.early.dec();
  if (from == State::kConfirmed && to != State::kConfirmed) counters_.active.dec();
  if (to == State::kConfirmed && from != State::kConfirmed) counters_.active.inc();
}

int Service::createDialog(MsgContext& ctx, CreateFlags flags) {
  if (!ready_) return -1;
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest() || msg.method() != Method::kInvite) return -1;
  const NameAddr* from = msg.from();
  const NameAddr* to = msg.to();
  if (from == nullptr || to == nullptr || !to->tag.empty() || msg.cseq() == nullptr) return -1;
  // A retransmitted INVITE (the script created the dialog before t_check_trans()) belongs to
  // the dialog its first copy made.
  Side side = Side::kCaller;
  std::uint64_t existing = 0;
  if (ctx.dialog == 0 && table_.findByTags(msg.callId(), from->tag, "", existing, side) &&
      side == Side::kCaller) {
    ctx.dialog = existing;
    addRecordRouteParams(ctx, ";" + config_.rr_param + "=" + std::to_string(existing));
  }
  if (ctx.dialog != 0) {
    if (flags.bye_on_timeout) {
      table_.update(ctx.dialog, [&](DialogShm& d) {
        d.flags |= kByeOnTimeout;
        table_.markDirtyLocked(d);
      });
    }
    return 1;
  }
  DialogInfo info;
  info.flags = flags.bye_on_timeout ? kByeOnTimeout : 0;
  info.call_id = std::string(msg.callId());
  info.from_tag = std::string(from->tag);
  info.from_uri = std::string(from->uri_text);
  info.to_uri = std::string(to->uri_text);
  info.ruri = std::string(msg.requestUriText());
  const ContactList* contacts = msg.contacts();
  if (contacts != nullptr && !contacts->items.empty()) {
    info.caller_contact = std::string(contacts->items.front().addr.uri_text);
  }
  const std::vector<NameAddr>* rrs = msg.recordRoutes();
  info.caller_route = joinRoutes(rrs, 0, rrs != nullptr ? rrs->size() : 0, false);
  info.caller_cseq = msg.cseq()->number;
  info.created_ms = nowMs();
  info.timeout_s = config_.default_timeout_s;
  Status st = table_.insert(info, true);
  if (!st.isOk()) {
    counters_.no_memory.inc();
    SL_ERR_RATELIMITED("dialog: %s; no dialog for Call-ID %.*s", st.message().c_str(),
                       SL_SV(msg.callId()));
    return -1;
  }
  ctx.dialog = info.id;
  counters_.processed.inc();
  counters_.early.inc();
  addRecordRouteParams(ctx, ";" + config_.rr_param + "=" + std::to_string(info.id));
  if (tm_ != nullptr) {
    Status w = tm_->watch(ctx, tm_watcher_);
    if (!w.isOk()) SL_ERR("dialog: cannot follow the INVITE: %s", w.message().c_str());
  }
  return 1;
}

int Service::matchDialog(MsgContext& ctx, std::string_view route_params) {
  if (!ready_) return -1;
  if (ctx.dialog != 0) return 1;
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest()) return -1;
  const NameAddr* from = msg.from();
  const NameAddr* to = msg.to();
  if (from == nullptr || to == nullptr || to->tag.empty() || msg.cseq() == nullptr) return -1;
  std::string_view call_id = msg.callId();
  std::uint64_t id = 0;
  Side side = Side::kCaller;
  bool found = false;
  std::uint64_t did = 0;
  // The did leads to the bucket; the Call-ID and tags must still be the dialog's.
  if (parseId(uriParam(route_params, config_.rr_param), did) &&
      table_.matchId(did, call_id, from->tag, to->tag, side)) {
    id = did;
    found = true;
  }
  if (!found) found = table_.findByTags(call_id, from->tag, to->tag, id, side);
  Method m = msg.method();
  if (!found && m == Method::kBye && table_.loadPending()) {
    // The DB was down at start: the call may be one of the last run's, not loaded yet. Its
    // BYE ends it when it is (else it would live for its whole timeout).
    EarlyBye bye{std::string(call_id), std::string(from->tag), std::string(to->tag), nowMs()};
    if (!table_.rememberBye(bye)) {
      found = table_.findByTags(call_id, from->tag, to->tag, id, side);  // loaded meanwhile
    }
  }
  if (!found) return -1;
  ctx.dialog = id;
  if (m == Method::kBye) {
    // Only an answered call ends on a BYE. Before the answer the INVITE's final decides: a
    // BYE on an early dialog makes the callee answer 487, and one with a forged To tag (any
    // tag matches until the answer) must not end a call that is then answered unbilled.
    // The BYE is followed all the same: when the callee's 2xx crossed it, the callee takes
    // it and answers 2xx, and that ends the call just answered (onByeReply).
    State state = State::kEnded;
    table_.update(id, [&](DialogShm& d) { state = d.state; });
    if (state == State::kConfirmed) {
      endDialog(id, side == Side::kCaller ? EndedBy::kCaller : EndedBy::kCallee, 0, "");
    } else if (tm_ != nullptr) {
      Status w = tm_->watch(ctx, tm_watcher_);
      if (!w.isOk()) SL_ERR("dialog: cannot follow the early BYE: %s", w.message().c_str());
    }
    return 1;
  }
  if (m == Method::kAck || m == Method::kCancel) return 1;
  std::uint32_t cseq = msg.cseq()->number;
  std::int64_t now = nowMs();
  // RFC 3261 §12.2.2: a target refresh request (re-INVITE, UPDATE) carries the sender's new
  // remote target, where a BYE on timeout must go.
  std::string_view target;
  if (m == Method::kInvite || m == Method::kUpdate) {
    const ContactList* contacts = msg.contacts();
    if (contacts != nullptr && !contacts->items.empty()) {
      target = contacts->items.front().addr.uri_text;
    }
  }
  table_.update(id, [&](DialogShm& d) {
    shm::String& contact = side == Side::kCaller ? d.caller_contact : d.callee_contact;
    if (!target.empty() && std::string_view(contact.data(), contact.size()) != target) {
      Status st =
          shm::guardAlloc("dialog contact", [&] { contact.assign(target.data(), target.size()); });
      if (!st.isOk()) counters_.no_memory.inc();
    }
    if (side == Side::kCaller) {
      if (cseq > d.caller_cseq) d.caller_cseq = cseq;
    } else if (cseq > d.callee_cseq) {
      d.callee_cseq = cseq;
    }
    if (d.state == State::kConfirmed) d.timeout_at_ms = now + d.timeout_s * 1000;
    table_.markDirtyLocked(d);
  });
  return 1;
}

bool Service::endDialog(std::uint64_t id, EndedBy by, int code, std::string_view reason,
                        std::int64_t ended_ms) {
  DialogInfo info;
  if (!table_.end(id, info)) return false;
  noteState(info.state, State::kEnded);
  if (info.state != State::kConfirmed) counters_.failed.inc();
  KvList watched;
  decodeKv(info.watchers, watched);
  if (watched.empty()) return true;
  DialogEnd end;
  end.call_id = info.call_id;
  end.from_tag = info.from_tag;
  end.to_tag = info.to_tag;
  end.from_uri = info.from_uri;
  end.to_uri = info.to_uri;
  end.ruri = info.ruri;
  end.created_ms = info.created_ms;
  end.answered_ms = info.answered_ms;
  end.ended_ms = ended_ms != 0 ? ended_ms : nowMs();
  end.code = info.code != 0 ? info.code : code;
  std::string reason_text = info.reason.empty() ? std::string(reason) : info.reason;
  end.reason = reason_text;
  end.ended_by = info.state == State::kConfirmed ? by : EndedBy::kNone;
  for (const auto& [name, data] : watched) {
    auto it = watchers_.find(name);
    if (it == watchers_.end()) {
      SL_WARN("dialog: Call-ID %s: watcher \"%s\" is not registered; its end is not reported",
              info.call_id.c_str(), name.c_str());
      continue;
    }
    end.data = data;
    try {
      it->second->onEnd(end);
    } catch (...) {
      SL_ERR("dialog: watcher \"%s\" threw in onEnd(); ignored", name.c_str());
    }
  }
  return true;
}

std::size_t Service::endRememberedByes() {
  std::size_t ended = 0;
  for (const EarlyBye& bye : table_.finishLoad()) {
    std::uint64_t id = 0;
    Side side = Side::kCaller;
    if (!table_.findByTags(bye.call_id, bye.from_tag, bye.to_tag, id, side)) continue;
    DialogInfo info;  // as for a BYE that comes now: only an answered call ends on it
    if (!table_.get(id, info) || info.state != State::kConfirmed) continue;
    EndedBy by = side == Side::kCaller ? EndedBy::kCaller : EndedBy::kCallee;
    if (endDialog(id, by, 0, "", bye.at_ms)) ++ended;
  }
  if (ended != 0) {
    SL_NOTICE("dialog: %zu dialogs of the last run ended by the BYEs seen before their load",
              ended);
  }
  return ended;
}

// ---- tm: the INVITE's replies --------------------------------------------------------------

std::optional<std::string> Service::attach(MsgContext& ctx) {
  if (ctx.dialog == 0 || !ctx.msg().isRequest()) return std::nullopt;
  if (ctx.msg().method() == Method::kBye) {
    // An early BYE (matchDialog): who sent it, for the CDR if its 2xx ends the call.
    const NameAddr* from = ctx.msg().from();
    const NameAddr* to = ctx.msg().to();
    std::uint64_t id = 0;
    Side side = Side::kCaller;
    if (from == nullptr || to == nullptr ||
        !table_.findByTags(ctx.msg().callId(), from->tag, to->tag, id, side) || id != ctx.dialog) {
      return std::nullopt;
    }
    return std::string(side == Side::kCaller ? kByeByCaller : kByeByCallee) + std::to_string(id);
  }
  if (ctx.msg().method() != Method::kInvite) return std::nullopt;
  if (!ctx.record_route.wanted && table_.warnOnceNoRecordRoute()) {
    SL_WARN(
        "dialog: an INVITE with a dialog is relayed without record_route(): in-dialog "
        "requests will not come through this server (logged once)");
  }
  table_.update(ctx.dialog, [](DialogShm& d) { d.followed = true; });
  return std::to_string(ctx.dialog);
}

void Service::onReply(const tm::TsxEvent& event) {
  std::uint64_t id = 0;
  if (event.method == Method::kBye) {
    if (event.code < 200 || event.code >= 300 || event.local || !event.first_final) return;
    std::string_view data = event.data;
    EndedBy by = data.starts_with(kByeByCaller) ? EndedBy::kCaller : EndedBy::kCallee;
    data.remove_prefix(std::min(data.size(), std::string_view(kByeByCaller).size()));
    if (parseId(data, id)) onByeAnswered(id, by);
    return;
  }
  if (event.method != Method::kInvite || !parseId(event.data, id)) return;
  onInviteReply(id, event.code, event.reason, event.reply, event.first_final, event.repeat);
}

void Service::onByeAnswered(std::uint64_t id, EndedBy by) {
  State state = State::kEnded;
  table_.update(id, [&](DialogShm& d) { state = d.state; });
  // Still unanswered: the callee took the BYE on its early dialog and answers the INVITE 487.
  if (state == State::kConfirmed) endDialog(id, by, 0, "");
}

void Service::onInviteReply(std::uint64_t id, int code, std::string_view reason,
                            std::string_view wire, bool first_final, bool repeat) {
  if (code < 200) {
    if (code <= 100) return;
    State state = State::kEnded;
    table_.update(id, [&](DialogShm& d) { state = d.state; });
    if (state != State::kUnconfirmed) return;  // early already: no need to parse the reply
    SipMessage reply;
    if (wire.empty() || reply.parse(wire) != ParseError::kOk) return;
    const NameAddr* to = reply.to();
    if (to == nullptr || to->tag.empty()) return;
    table_.update(id, [&](DialogShm& d) {
      if (d.state != State::kUnconfirmed) return;
      d.state = State::kEarly;
      table_.markDirtyLocked(d);
    });
    return;
  }
  if (code >= 300) {
    if (!first_final) return;
    DialogInfo info;
    if (!table_.get(id, info) || info.state == State::kConfirmed) return;
    table_.update(id, [&](DialogShm& d) {
      d.code = code;
      // Without room the reason is passed to endDialog() all the same.
      Status st =
          shm::guardAlloc("dialog reason", [&] { d.reason.assign(reason.data(), reason.size()); });
      if (!st.isOk()) counters_.no_memory.inc();
    });
    endDialog(id, EndedBy::kNone, code, reason);
    return;
  }
  // 2xx: the dialog is confirmed with the callee's tag, Contact and route set (RFC 3261
  // §12.1.2 seen from the proxy: the Record-Route entries above ours lead to the callee).
  SipMessage reply;
  if (wire.empty() || reply.parse(wire) != ParseError::kOk) {
    SL_ERR("dialog: the 2xx of dialog %llu does not parse; dialog not confirmed",
           static_cast<unsigned long long>(id));
    return;
  }
  const NameAddr* to = reply.to();
  std::string to_tag = to != nullptr ? std::string(to->tag) : std::string();
  std::string contact;
  const ContactList* contacts = reply.contacts();
  if (contacts != nullptr && !contacts->items.empty()) {
    contact = std::string(contacts->items.front().addr.uri_text);
  }
  const std::vector<NameAddr>* rrs = reply.recordRoutes();
  std::size_t ours = rrs != nullptr ? rrs->size() : 0;
  std::string marker = config_.rr_param + "=" + std::to_string(id);
  if (rrs != nullptr) {
    for (std::size_t i = 0; i < rrs->size(); ++i) {
      std::string_view text = (*rrs)[i].text;
      std::size_t at = text.find(marker);
      if (at != std::string_view::npos &&
          (at + marker.size() == text.size() || text[at + marker.size()] == '>' ||
           text[at + marker.size()] == ';')) {
        ours = i;
        break;
      }
    }
  }
  std::string callee_route = joinRoutes(rrs, 0, ours, true);
  std::int64_t now = nowMs();
  State before = State::kEnded;
  bool stored = true;
  bool found = table_.update(id, [&](DialogShm& d) {
    before = d.state;
    if (d.state == State::kConfirmed) return;
    // The strings first: a dialog is confirmed only with everything its end and its BYEs
    // need (a half-made one would never expire).
    Status st = shm::guardAlloc("dialog answer", [&] {
      d.reason.assign(reason.data(), reason.size());
      d.to_tag.assign(to_tag.data(), to_tag.size());
      d.callee_contact.assign(contact.data(), contact.size());
      d.callee_route.assign(callee_route.data(), callee_route.size());
    });
    if (!st.isOk()) {
      stored = false;
      return;
    }
    d.state = State::kConfirmed;
    d.code = code;
    d.answered_ms = now;
    d.timeout_at_ms = now + d.timeout_s * 1000;
    table_.markDirtyLocked(d);
  });
  if (!found) {
    // A retransmission of the 2xx of a call that was answered, followed and has ended (a
    // lost ACK): that call has its record.
    if (repeat) return;
    // It ended unanswered (tm's 408 after fr_inv_timeout, early_timeout) and the callee
    // answered after all: tm relays the 2xx, so a call is up that nobody follows or bills.
    counters_.late_answers.inc();
    SL_ERR_RATELIMITED(
        "dialog: Call-ID %.*s answered (%d) after its dialog ended unanswered; the call is not "
        "followed",
        SL_SV(reply.callId()), code);
    return;
  }
  if (!stored) {
    counters_.no_memory.inc();
    SL_ERR_RATELIMITED("dialog: shared memory full; Call-ID %.*s answered but not followed",
                       SL_SV(reply.callId()));
    endDialog(id, EndedBy::kNone, code, reason);
    return;
  }
  if (before != State::kConfirmed) noteState(before, State::kConfirmed);
}

// ---- profiles and values -------------------------------------------------------------------

bool Service::setProfile(MsgContext& ctx, const std::string& name, const std::string& value) {
  if (ctx.dialog == 0) return false;
  bool added = false;
  bool found = table_.update(ctx.dialog, [&](DialogShm& d) {
    KvList list;
    decodeKv(sv(d.profiles), list);
    for (const auto& kv : list) {
      if (kv.first == name && kv.second == value) return;
    }
    list.emplace_back(name, value);
    std::string text = encodeKv(list);
    Status st =
        shm::guardAlloc("dialog profile", [&] { d.profiles.assign(text.data(), text.size()); });
    if (!st.isOk()) {
      counters_.no_memory.inc();
      return;
    }
    table_.markDirtyLocked(d);
    table_.addProfileCount(name, 1);
    if (!value.empty()) table_.addProfileCount(Table::profileKey(name, value), 1);
    added = true;
  });
  return found && added;
}

bool Service::unsetProfile(MsgContext& ctx, const std::string& name, const std::string& value) {
  if (ctx.dialog == 0) return false;
  std::vector<std::string> removed;
  table_.update(ctx.dialog, [&](DialogShm& d) {
    KvList list;
    decodeKv(sv(d.profiles), list);
    KvList kept;
    for (auto& kv : list) {
      if (kv.first == name && (value.empty() || kv.second == value)) {
        removed.push_back(kv.second);
      } else {
        kept.push_back(std::move(kv));
      }
    }
    if (removed.empty()) return;
    std::string text = encodeKv(kept);
    d.profiles.assign(text.data(), text.size());  // shorter: no allocation can fail
    table_.markDirtyLocked(d);
    for (const std::string& v : removed) {
      table_.addProfileCount(name, -1);
      if (!v.empty()) table_.addProfileCount(Table::profileKey(name, v), -1);
    }
  });
  return !removed.empty();
}

bool Service::isInProfile(MsgContext& ctx, const std::string& name, const std::string& value,
                          bool any_value) {
  if (ctx.dialog == 0) return false;
  bool in = false;
  table_.update(ctx.dialog, [&](DialogShm& d) {
    KvList list;
    decodeKv(sv(d.profiles), list);
    for (const auto& kv : list) {
      if (kv.first == name && (any_value || kv.second == value)) in = true;
    }
  });
  return in;
}

std::int64_t Service::profileSize(const std::string& name, const std::string& value,
                                  bool any_value) {
  if (!ready_) return 0;
  return table_.profileCount(any_value ? name : Table::profileKey(name, value));
}

bool Service::storeValue(MsgContext& ctx, const std::string& name, const std::string& value) {
  if (ctx.dialog == 0) return false;
  bool ok = false;
  table_.update(ctx.dialog, [&](DialogShm& d) {
    KvList list;
    decodeKv(sv(d.values), list);
    bool replaced = false;
    for (auto& kv : list) {
      if (kv.first == name) {
        kv.second = value;
        replaced = true;
      }
    }
    if (!replaced) list.emplace_back(name, value);
    std::string text = encodeKv(list);
    Status st = shm::guardAlloc("dialog value", [&] { d.values.assign(text.data(), text.size()); });
    if (!st.isOk()) {
      counters_.no_memory.inc();
      return;
    }
    table_.markDirtyLocked(d);
    ok = true;
  });
  return ok;
}

std::optional<std::string> Service::fetchValue(MsgContext& ctx, const std::string& name) {
  if (ctx.dialog == 0) return std::nullopt;
  std::optional<std::string> out;
  table_.update(ctx.dialog, [&](DialogShm& d) {
    KvList list;
    decodeKv(sv(d.values), list);
    if (const std::string* v = findKv(list, name)) out = *v;
  });
  return out;
}

std::int64_t Service::timeoutOf(MsgContext& ctx) {
  if (ctx.dialog == 0) return -1;
  std::int64_t out = -1;
  std::int64_t now = nowMs();
  table_.update(ctx.dialog, [&](DialogShm& d) {
    // Rounded up: a timeout set to 2 s reads 2 at once, 0 only when it is due.
    out = d.state == State::kConfirmed
              ? std::max<std::int64_t>(0, (d.timeout_at_ms - now + 999) / 1000)
              : d.timeout_s;
  });
  return out;
}

bool Service::setTimeout(MsgContext& ctx, std::int64_t seconds) {
  if (ctx.dialog == 0 || seconds <= 0 || seconds > kMaxTimeoutS) return false;
  std::int64_t now = nowMs();
  return table_.update(ctx.dialog, [&](DialogShm& d) {
    d.timeout_s = seconds;
    if (d.state == State::kConfirmed) d.timeout_at_ms = now + seconds * 1000;
    table_.markDirtyLocked(d);
  });
}

// ---- watchers (acc) ------------------------------------------------------------------------

Status Service::registerWatcher(const std::string& name, DialogWatcher* watcher) {
  if (watcher == nullptr || name.empty()) {
    return Status::invalidArgument("dialog: a watcher needs a name and an object");
  }
  if (!watchers_.emplace(name, watcher).second) {
    return Status::alreadyExists("dialog: watcher \"" + name + "\" is registered twice");
  }
  return Status::ok();
}

Status Service::watch(MsgContext& ctx, const std::string& name, std::string data) {
  if (watchers_.find(name) == watchers_.end()) {
    return Status::notFound("dialog: no watcher \"" + name + "\"");
  }
  if (ctx.dialog == 0 && createDialog(ctx, CreateFlags{}) != 1) {
    return Status::failedPrecondition("dialog: not an initial INVITE (or shm full)");
  }
  bool ok = false;
  table_.update(ctx.dialog, [&](DialogShm& d) {
    KvList list;
    decodeKv(sv(d.watchers), list);
    for (auto& kv : list) {
      if (kv.first == name) {
        kv.second = data;
        ok = true;
      }
    }
    if (!ok) list.emplace_back(name, data);
    std::string text = encodeKv(list);
    Status st =
        shm::guardAlloc("dialog watcher", [&] { d.watchers.assign(text.data(), text.size()); });
    ok = st.isOk();
    if (!ok) {
      counters_.no_memory.inc();
      return;
    }
    table_.markDirtyLocked(d);
  });
  if (!ok) return Status::noMemory("dialog: shared memory full (watcher data)");
  return Status::ok();
}

// ---- timeouts and BYEs ---------------------------------------------------------------------

tm::LocalRequest inDialogRequest(const std::string& method, const std::string& target,
                                 const std::string& route_set) {
  tm::LocalRequest req;
  req.method = method;
  std::vector<std::string_view> routes = splitRoutes(route_set);
  std::string route;
  if (!routes.empty() && !isLooseRouter(routeUri(routes.front()))) {
    // RFC 3261 §12.2.1.1, a strict router first: it is the request-URI; the rest of the route
    // set and then the remote target go into Route.
    req.ruri = std::string(routeUri(routes.front()));
    for (std::size_t i = 1; i < routes.size(); ++i) {
      route.append(routes[i].data(), routes[i].size());
      route += ',';
    }
    route += "<" + target + ">";
  } else {
    // Loose routing: the remote target is the request-URI, the route set the Route, the
    // request goes to the first route.
    req.ruri = target;
    if (!routes.empty()) req.dst = std::string(routeUri(routes.front()));
    route = route_set;
  }
  if (!route.empty()) req.headers = "Route: " + route + "\r\n";
  return req;
}

void Service::sendByes(const DialogInfo& info) {
  if (tm_ == nullptr) return;
  // Each BYE carries the other side's identity (we stand in for it), CSeq after the last one
  // seen from that side.
  auto send = [&](const std::string& target, const std::string& route, const std::string& from,
                  const std::string& to, std::uint32_t cseq, const char* whom) {
    if (target.empty()) {
      SL_WARN("dialog: Call-ID %s: no Contact of the %s; no BYE sent", info.call_id.c_str(), whom);
      return;
    }
    tm::LocalRequest req = inDialogRequest("BYE", target, route);
    req.from = from;
    req.to = to;
    req.call_id = info.call_id;
    req.cseq = cseq;
    Status st = tm_->send(req, 0, 0);
    if (!st.isOk()) {
      SL_ERR("dialog: Call-ID %s: BYE to the %s not sent: %s", info.call_id.c_str(), whom,
             st.message().c_str());
    }
  };
  std::string caller = "<" + info.from_uri + ">;tag=" + info.from_tag;
  std::string callee = "<" + info.to_uri + ">;tag=" + info.to_tag;
  send(info.callee_contact, info.callee_route, caller, callee, info.caller_cseq + 1, "callee");
  send(info.caller_contact, info.caller_route, callee, caller, info.callee_cseq + 1, "caller");
}

void Service::onTimerTick() {
  if (!ready_) return;
  std::int64_t now = nowMs();
  std::int64_t early_ms = config_.early_timeout_s * 1000;
  for (const DialogInfo& d : table_.collectDue(now, early_ms, std::min(early_ms, kUnfollowedMs))) {
    if (d.state == State::kConfirmed) {
      if ((d.flags & kByeOnTimeout) != 0) sendByes(d);
      if (endDialog(d.id, EndedBy::kTimeout, 0, "")) counters_.expired.inc();
      SL_DBG("dialog: Call-ID %s timed out", d.call_id.c_str());
    } else {
      endDialog(d.id, EndedBy::kNone, 408, "Request Timeout");
      SL_DBG("dialog: Call-ID %s dropped: not answered within early_timeout", d.call_id.c_str());
    }
  }
}

Status Service::endByManagement(std::uint64_t id) {
  DialogInfo info;
  if (!ready_ || !table_.get(id, info)) {
    return Status::notFound("no dialog " + std::to_string(id));
  }
  if (info.state != State::kConfirmed) {
    return Status::failedPrecondition("dialog " + std::to_string(id) +
                                      " is not confirmed; only answered calls can be ended");
  }
  sendByes(info);
  endDialog(id, EndedBy::kManagement, 0, "");
  return Status::ok();
}

void Service::endAllAtShutdown() {
  if (!ready_ || persists()) return;
  std::vector<std::uint64_t> ids;
  table_.forEach([&](const DialogInfo& d) { ids.push_back(d.id); });
  for (std::uint64_t id : ids) endDialog(id, EndedBy::kShutdown, 0, "");
}

}  // namespace sipline::dialog
