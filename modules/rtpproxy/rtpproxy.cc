// rtpproxy_offer/answer/unforce: the commands per stream, the SDP rewrite, teardown.
#include "modules/rtpproxy/rtpproxy.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <vector>

#include "core/base/log.h"
#include "core/base/strings.h"
#include "core/media/sdp_rewrite.h"
#include "core/parser/multipart.h"
#include "core/parser/sdp.h"
#include "modules/rtpproxy/protocol.h"

namespace sipline::rtpproxy {
namespace {

constexpr std::string_view kMarker = "nortpproxy:yes";  // OpenSIPS's "already proxied" mark

bool isUnspecifiedIp(std::string_view ip) {
  return ip.empty() || ip == "0.0.0.0" || ip == "::" || ip == "0:0:0:0:0:0:0:0";
}

bool isNumericIp(std::string_view s) {
  if (s.empty() || s.size() >= 64) return false;
  std::string text(s);
  std::array<unsigned char, 16> buf{};
  int family = text.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  return inet_pton(family, text.c_str(), buf.data()) == 1;
}

bool hasMarker(const SdpSession& s) {
  for (const SdpAttribute& a : s.attributes) {
    if (a.name == "nortpproxy" && a.value == "yes") return true;
  }
  return false;
}

std::string modifiersOf(const Flags& flags, std::string_view address) {
  std::string m;
  if (flags.asymmetric) m += 'A';
  if (flags.ipv6 || address.find(':') != std::string_view::npos) m += '6';
  for (char c : flags.direction) m += c == 'i' ? 'I' : 'E';
  return m;
}

}  // namespace

Result<Flags> parseFlags(std::string_view text) {
  Flags f;
  for (char c : text) {
    switch (c) {
      case 'a':
      case 'A':
        f.asymmetric = true;
        break;
      case '6':
        f.ipv6 = true;
        break;
      case 'f':
      case 'F':
        f.force = true;
        break;
      case 'r':
      case 'R':
        f.trust_address = true;
        break;
      case 'o':
      case 'O':
        f.rewrite_origin = true;
        break;
      case 'c':
      case 'C':
        f.remove_ice = true;
        break;
      case 'i':
      case 'I':
      case 'e':
      case 'E':
        if (f.direction.size() == 2) {
          return Status::invalidArgument("more than two direction flags (i/e) in \"" +
                                         std::string(text) + "\"");
        }
        f.direction += static_cast<char>(c | 0x20);
        break;
      default:
        return Status::invalidArgument(std::string("unknown flag '") + c + "' in \"" +
                                       std::string(text) + "\" (known: a 6 f r o c i e)");
    }
  }
  return f;
}

const char* outcomeText(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kNoSdp:
      return "no SDP body";
    case Outcome::kBadSdp:
      return "the SDP does not parse";
    case Outcome::kAlreadyProxied:
      return "the SDP is proxied already (a=nortpproxy:yes)";
    case Outcome::kBadMessage:
      return "Call-ID, From tag or To tag missing or unusable";
    case Outcome::kNoStream:
      return "no media stream to relay";
    case Outcome::kRelayFailed:
      return "no relay answered";
    case Outcome::kRelayRefused:
      return "the relay refused the command";
  }
  return "unknown outcome";
}

std::string packCallRef(const CallRef& ref) {
  std::string out;
  appendDecimal(out, ref.set);
  out += '\n';
  out += ref.call_id;
  out += '\n';
  out += ref.from_tag;
  out += '\n';
  out += ref.to_tag;
  if (ref.tm_follows) out += "\nt";
  return out;
}

bool unpackCallRef(std::string_view text, CallRef& out) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n') {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  std::int64_t set = 0;
  if ((parts.size() != 4 && !(parts.size() == 5 && parts[4] == "t")) || !parseInt(parts[0], set) ||
      set < 0 || parts[1].empty() || parts[2].empty()) {
    return false;
  }
  out.set = static_cast<unsigned>(set);
  out.call_id = std::string(parts[1]);
  out.from_tag = std::string(parts[2]);
  out.to_tag = std::string(parts[3]);
  out.tm_follows = parts.size() == 5;
  return true;
}

Outcome Engine::manage(SipMessage& msg, const SockAddr& source, const Flags& flags,
                       std::string_view ip, bool offer, unsigned set) {
  const std::string_view call_id = msg.callId();
  const HeaderField* ct = msg.header(HeaderType::kContentType);
  std::string_view sdp_text;
  std::size_t sdp_offset = 0;
  if (ct == nullptr || msg.body().empty() ||
      findSdpBody(ct->body, msg.body(), sdp_text, sdp_offset) != MultipartError::kOk) {
    SL_DBG("rtpproxy: no SDP in the message of Call-ID %.*s", SL_SV(call_id));
    return Outcome::kNoSdp;
  }
  SdpSession sdp;
  if (parseSdp(sdp_text, sdp) != SdpError::kOk) {
    SL_WARN("rtpproxy: the SDP of Call-ID %.*s does not parse", SL_SV(call_id));
    counters_.errors.inc();
    return Outcome::kBadSdp;
  }
  if (hasMarker(sdp) && !flags.force) {
    SL_DBG("rtpproxy: Call-ID %.*s is proxied already (a=nortpproxy:yes)", SL_SV(call_id));
    return Outcome::kAlreadyProxied;
  }
  const NameAddr* from = msg.from();
  const NameAddr* to = msg.to();
  std::string_view from_tag = from != nullptr ? from->tag : std::string_view();
  std::string_view to_tag = to != nullptr ? to->tag : std::string_view();
  // The relay pairs the tags by side: the SDP's sender first. A late offer comes in the 200
  // (from the callee) and its answer in the ACK (from the caller).
  if (offer ? msg.isReply() : msg.isRequest()) std::swap(from_tag, to_tag);
  if (call_id.empty() || from_tag.empty() || (!offer && to_tag.empty()) ||
      (!ip.empty() && !isNumericIp(ip))) {
    SL_WARN("rtpproxy: %s for Call-ID %.*s: %s", offer ? "offer" : "answer", SL_SV(call_id),
            outcomeText(Outcome::kBadMessage));
    counters_.errors.inc();
    return Outcome::kBadMessage;
  }

  const std::string source_ip = source.ip();
  std::vector<media::StreamTarget> targets(sdp.media.size());
  bool any = false;
  // Every stream goes to the relay holding the call (known from an earlier offer), else to the
  // one that took the first stream.
  int relay = transport_.relayOf(call_id);
  // A new session (no to-tag yet) whose later stream fails: free the ports taken so far.
  auto release = [&] {
    std::string d;
    if (!offer || !to_tag.empty() || !any || !formatDelete(call_id, from_tag, "", d)) return;
    if (transport_.post(set, d, relay)) counters_.deletes.inc();
  };
  for (std::size_t i = 0; i < sdp.media.size(); ++i) {
    const SdpMedia& m = sdp.media[i];
    if (m.isRejected()) continue;
    SdpAddressRef where = sdp.effectiveConnection(i);
    const bool hold = where.connection != nullptr && where.connection->isUnspecified();
    // Without r the media come from where the signalling came from (the NAT's address).
    std::string_view address = source_ip;
    if (hold || (flags.trust_address && where.connection != nullptr)) {
      address = where.connection->address;
    }
    StreamCommand cmd;
    cmd.lookup = !offer;
    cmd.modifiers = modifiersOf(flags, address);
    cmd.call_id = call_id;
    cmd.address = address;
    cmd.port = m.port;
    cmd.from_tag = from_tag;
    cmd.to_tag = to_tag;
    cmd.media_index = static_cast<unsigned>(i + 1);
    std::string line;
    if (!formatStream(cmd, line)) {
      SL_WARN("rtpproxy: Call-ID %.*s: a field does not fit the protocol", SL_SV(call_id));
      counters_.errors.inc();
      return Outcome::kBadMessage;
    }
    unsigned failovers = 0;
    Result<media::RelayClient::Reply> reply =
        transport_.request(set, call_id, line, relay, &failovers);
    counters_.failovers.inc(failovers);
    if (!reply.isOk()) {
      SL_ERR("rtpproxy: %s of Call-ID %.*s stream %zu: %s", offer ? "offer" : "answer",
             SL_SV(call_id), i + 1, reply.status().message().c_str());
      counters_.errors.inc();
      release();
      return Outcome::kRelayFailed;
    }
    relay = static_cast<int>(reply.value().relay);
    StreamReply parsed;
    int code = 0;
    ReplyStatus st = parseStreamReply(reply.value().body, parsed, code);
    if (st != ReplyStatus::kOk) {
      SL_ERR("rtpproxy: %s of Call-ID %.*s stream %zu: relay %s answered \"%.*s\" (%s)",
             offer ? "offer" : "answer", SL_SV(call_id), i + 1,
             transport_.relayAddress(reply.value().relay).c_str(), SL_SV(trim(reply.value().body)),
             replyStatusText(st));
      counters_.errors.inc();
      release();
      return Outcome::kRelayRefused;
    }
    media::StreamTarget& t = targets[i];
    t.set = true;
    t.port = parsed.port;
    if (!ip.empty()) {
      t.address = std::string(ip);
    } else if (!isUnspecifiedIp(parsed.address)) {
      t.address = parsed.address;
    } else {
      t.address = transport_.relayAddress(reply.value().relay);
    }
    any = true;
  }
  if (!any) {
    SL_DBG("rtpproxy: Call-ID %.*s has no stream to relay", SL_SV(call_id));
    return Outcome::kNoStream;
  }
  media::RewriteOptions options;
  options.rewrite_origin = flags.rewrite_origin;
  options.ice = flags.remove_ice ? media::IceMode::kRemove : media::IceMode::kKeep;
  options.add_session_attribute = std::string(kMarker);
  std::string rewritten;
  media::RewriteError e = media::rewriteSdp(sdp, targets, options, rewritten);
  if (e != media::RewriteError::kOk) {
    SL_ERR("rtpproxy: Call-ID %.*s: %s", SL_SV(call_id), media::rewriteErrorText(e));
    counters_.errors.inc();
    release();
    return Outcome::kRelayRefused;
  }
  std::string_view body = msg.body();
  std::string out(body.substr(0, sdp_offset));
  out += rewritten;
  out.append(body.substr(sdp_offset + sdp_text.size()));
  if (!msg.replaceBody(std::move(out))) {
    SL_ERR(
        "rtpproxy: Call-ID %.*s: the SDP cannot be put back (several Content-Length or "
        "Content-Type headers?)",
        SL_SV(call_id));
    counters_.errors.inc();
    release();
    return Outcome::kBadMessage;
  }
  if (offer) transport_.remember(call_id, static_cast<std::size_t>(relay));
  (offer ? counters_.offers : counters_.answers).inc();
  return Outcome::kOk;
}

bool Engine::unforce(SipMessage& msg, unsigned set) {
  const std::string_view call_id = msg.callId();
  const NameAddr* from = msg.from();
  const NameAddr* to = msg.to();
  std::string line;
  if (from == nullptr ||
      !formatDelete(call_id, from->tag, to != nullptr ? to->tag : std::string_view(), line)) {
    SL_WARN("rtpproxy: unforce for Call-ID %.*s: no Call-ID or From tag", SL_SV(call_id));
    counters_.errors.inc();
    return false;
  }
  unsigned failovers = 0;
  Result<media::RelayClient::Reply> reply =
      transport_.request(set, call_id, line, transport_.relayOf(call_id), &failovers);
  counters_.failovers.inc(failovers);
  if (!reply.isOk()) {
    SL_ERR("rtpproxy: delete of Call-ID %.*s: %s", SL_SV(call_id),
           reply.status().message().c_str());
    counters_.errors.inc();
    return false;
  }
  // Not forgotten here: the dialog's teardown that may follow then reaches this relay only.
  counters_.deletes.inc();
  int code = 0;
  ReplyStatus st = parseDeleteReply(reply.value().body, code);
  if (st != ReplyStatus::kOk) {
    // E<n> here mostly means the relay no longer knows the call: gone is what was asked.
    SL_DBG("rtpproxy: delete of Call-ID %.*s: %s", SL_SV(call_id), replyStatusText(st));
  }
  return true;
}

void Engine::teardown(const CallRef& ref) {
  std::string line;
  if (!formatDelete(ref.call_id, ref.from_tag, ref.to_tag, line)) return;
  const int relay = transport_.relayOf(ref.call_id);
  transport_.forget(ref.call_id);
  if (transport_.post(ref.set, line, relay)) {
    counters_.deletes.inc();
  } else {
    SL_WARN("rtpproxy: no relay to delete Call-ID %s", ref.call_id.c_str());
    counters_.errors.inc();
  }
}

// RelayTransport

RelayTransport::~RelayTransport() {
  if (fd4_ >= 0) ::close(fd4_);
  if (fd6_ >= 0) ::close(fd6_);
}

Result<media::RelayClient::Reply> RelayTransport::request(unsigned set, std::string_view key,
                                                          std::string_view payload, int relay,
                                                          unsigned* failovers) {
  unsigned lost = 0;
  if (relay >= 0 && static_cast<std::size_t>(relay) < sets_.relayCount()) {
    const std::size_t r = static_cast<std::size_t>(relay);
    if (sets_.relay(r).set == set && sets_.isUsable(r)) {
      Result<std::string> body = client_.exchange(r, payload);
      if (body.isOk()) {
        if (failovers != nullptr) *failovers = 0;
        return media::RelayClient::Reply{r, std::move(body).value(), 0};
      }
      if (media::isCommandError(body.status())) return body.status();
      SL_WARN("media relay %s disabled: %s", sets_.relay(r).spec.url.c_str(),
              body.status().message().c_str());
      sets_.markDown(r);
      lost = 1;
    }
  }
  // No relay given, or it is down: the set's choice (for a call's first command, or a call
  // that moves because its relay died: its next offer starts it there).
  Result<media::RelayClient::Reply> reply = client_.request(set, key, payload, failovers);
  if (reply.isOk()) {  // failovers count relays that another one took over from
    if (failovers != nullptr) *failovers += lost;
    reply.value().failovers += lost;
  }
  return reply;
}

bool RelayTransport::post(unsigned set, std::string_view payload, int relay) {
  if (relay >= 0 && static_cast<std::size_t>(relay) < sets_.relayCount()) {
    return postTo(static_cast<std::size_t>(relay), payload);
  }
  bool any = false;
  for (std::size_t i = 0; i < sets_.relayCount(); ++i) {
    if (sets_.relay(i).set == set && postTo(i, payload)) any = true;
  }
  return any;
}

bool RelayTransport::postTo(std::size_t relay, std::string_view payload) {
  const SockAddr& to = sets_.relay(relay).spec.addr;
  int& fd = to.isV6() ? fd6_ : fd4_;
  if (fd < 0) {
    fd = ::socket(to.isV6() ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
  }
  // A cookie of its own (the reply, if any, is read by nobody and dropped with the socket
  // buffer); the pid keeps two processes' cookies apart.
  std::string datagram = "p";
  appendDecimal(datagram, static_cast<std::int64_t>(getpid()));
  datagram += '_';
  appendDecimal(datagram, static_cast<std::int64_t>(++cookie_));
  datagram += ' ';
  datagram += payload;
  ssize_t n = ::sendto(fd, datagram.data(), datagram.size(), 0, to.sa(), to.len);
  return n == static_cast<ssize_t>(datagram.size());
}

int RelayTransport::relayOf(std::string_view call_id) const { return sets_.relayOf(call_id); }

void RelayTransport::remember(std::string_view call_id, std::size_t relay) {
  sets_.remember(call_id, static_cast<int>(relay));
}

void RelayTransport::forget(std::string_view call_id) { sets_.forget(call_id); }

std::string RelayTransport::relayAddress(std::size_t relay) const {
  return sets_.relay(relay).spec.addr.ip();
}

}  // namespace sipline::rtpproxy
