#include "modules/rtpengine/ng.h"

#include <array>

#include "core/base/strings.h"
#include "core/parser/multipart.h"

namespace sipline::rtpengine {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() > prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// Appends v to the list `key` of dict, creating the list.
void appendTo(Bencode& dict, const std::string& key, std::string v) {
  Bencode* list = dict.get(key);
  if (list == nullptr || !list->isList()) list = &dict.set(key, Bencode::list());
  list->push(Bencode::string(std::move(v)));
}

// clang-format off
constexpr std::array<std::string_view, 8> kTransports = {
    "RTP/AVP", "RTP/SAVP", "RTP/AVPF", "RTP/SAVPF",
    "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF", "UDP/TLS/RTP/AVP", "UDP/TLS/RTP/AVPF"};
// Prefixed words whose rest goes into a list of that name.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kListPrefixes = {{
    {"replace-", "replace"}, {"rtcp-mux-", "rtcp-mux"}, {"SDES-", "SDES"}, {"OSRTP-", "OSRTP"}}};
constexpr std::array<std::string_view, 6> kCodecOps = {
    "strip", "offer", "transcode", "mask", "set", "except"};
constexpr std::array<std::string_view, 4> kIntKeys = {"TOS", "delete-delay", "ptime", "repacketize"};
constexpr std::array<std::string_view, 7> kListKeys = {
    "flags", "replace", "direction", "rtcp-mux", "SDES", "OSRTP", "T.38"};
// clang-format on

template <class Arr>
bool contains(const Arr& arr, std::string_view v) {
  for (std::string_view a : arr) {
    if (a == v) return true;
  }
  return false;
}

Status wordError(std::string_view word, const std::string& why) {
  return Status::invalidArgument("rtpengine flag '" + std::string(word) + "': " + why);
}

Status addWord(NgFlags& out, std::string_view word) {
  for (char c : word) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return wordError(word, "control character");
    }
  }
  Bencode& d = out.dict;
  std::size_t eq = word.find('=');
  if (eq != std::string_view::npos) {
    std::string key(word.substr(0, eq));
    std::string value(word.substr(eq + 1));
    if (key.empty()) return wordError(word, "missing key before '='");
    if (key == "via-branch") {
      if (value == "1" || value == "2") {
        out.via_branch = value[0] - '0';
      } else if (value == "auto") {
        out.via_branch = 0;
      } else {
        return wordError(word, "via-branch is 1, 2 or auto");
      }
      return Status::ok();
    }
    if (contains(kIntKeys, key)) {
      std::int64_t n = 0;
      if (!parseInt(value, n) || n < 0) return wordError(word, "needs a non-negative integer");
      d.set(key, Bencode::integer(n));
      return Status::ok();
    }
    if (contains(kListKeys, key)) {
      appendTo(d, key, value);
      return Status::ok();
    }
    d.set(key, Bencode::string(value));
    return Status::ok();
  }
  if (contains(kTransports, word)) {
    d.set("transport-protocol", Bencode::string(std::string(word)));
    return Status::ok();
  }
  if (word == "internal" || word == "external") {
    appendTo(d, "direction", std::string(word));
    return Status::ok();
  }
  for (const auto& [prefix, key] : kListPrefixes) {
    if (startsWith(word, prefix)) {
      appendTo(d, std::string(key), std::string(word.substr(prefix.size())));
      return Status::ok();
    }
  }
  std::string_view codec_word;  // "strip-PCMA" of "codec-strip-PCMA", all of "transcode-X"
  if (startsWith(word, "transcode-")) {
    codec_word = word;
  } else if (startsWith(word, "codec-")) {
    codec_word = word.substr(6);
  }
  for (std::string_view op : kCodecOps) {
    if (!codec_word.empty() && startsWith(codec_word, std::string(op) + "-")) {
      Bencode* codec = d.get("codec");
      if (codec == nullptr || !codec->isDict()) codec = &d.set("codec", Bencode::dict());
      appendTo(*codec, std::string(op), std::string(codec_word.substr(op.size() + 1)));
      return Status::ok();
    }
  }
  appendTo(d, "flags", std::string(word));
  return Status::ok();
}

std::string_view viaBranch(SipMessage& msg, int which) {
  const std::vector<Via>* vias = msg.vias();
  if (vias == nullptr) return {};
  std::size_t idx = static_cast<std::size_t>(which) - 1;
  return idx < vias->size() ? (*vias)[idx].branch : std::string_view();
}

}  // namespace

const char* opName(Op op) {
  switch (op) {
    case Op::kOffer:
      return "offer";
    case Op::kAnswer:
      return "answer";
    case Op::kDelete:
      return "delete";
  }
  return "?";
}

Result<NgFlags> parseNgFlags(std::string_view text) {
  NgFlags out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isSpace(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !isSpace(text[i])) ++i;
    if (i == start) break;
    Status st = addWord(out, text.substr(start, i - start));
    if (!st.isOk()) return st;
  }
  return out;
}

bool findMessageSdp(SipMessage& msg, std::string_view& sdp, std::size_t& offset) {
  const HeaderField* ct = msg.header(HeaderType::kContentType);
  if (ct == nullptr || msg.body().empty()) return false;
  return findSdpBody(ct->body, msg.body(), sdp, offset) == MultipartError::kOk && !sdp.empty();
}

Result<Bencode> buildRequest(Op op, SipMessage& msg, const SockAddr& source, const NgFlags& flags,
                             DeleteScope scope) {
  std::string_view call_id = msg.callId();
  const NameAddr* from = msg.from();
  const NameAddr* to = msg.to();
  if (call_id.empty()) return Status::invalidArgument("no Call-ID");
  if (from == nullptr || from->tag.empty()) return Status::invalidArgument("no From tag");
  std::string_view from_tag = from->tag;
  std::string_view to_tag = to != nullptr ? to->tag : std::string_view();
  bool swap = (op == Op::kOffer && msg.isReply()) || (op == Op::kAnswer && msg.isRequest());
  if (swap) std::swap(from_tag, to_tag);
  if (op == Op::kDelete && from_tag.empty()) std::swap(from_tag, to_tag);

  Bencode req = Bencode::dict();
  req.set("command", Bencode::string(opName(op)));
  req.set("call-id", Bencode::string(std::string(call_id)));
  if (!from_tag.empty()) req.set("from-tag", Bencode::string(std::string(from_tag)));
  // A whole-call delete names one tag only: with both, rtpengine would look for that dialogue.
  bool whole_call = op == Op::kDelete && scope == DeleteScope::kCall;
  if (!whole_call && !to_tag.empty()) {
    req.set("to-tag", Bencode::string(std::string(to_tag)));
  }
  int which = flags.via_branch != 0 ? flags.via_branch : (msg.isReply() ? 2 : 1);
  if (std::string_view b = viaBranch(msg, which); !b.empty() && !whole_call) {
    req.set("via-branch", Bencode::string(std::string(b)));
  }
  if (op != Op::kDelete) {
    std::string_view sdp;
    std::size_t offset = 0;
    if (!findMessageSdp(msg, sdp, offset)) return Status::invalidArgument("no SDP in the message");
    req.set("sdp", Bencode::string(std::string(sdp)));
    if (source.family() == AF_INET || source.family() == AF_INET6) {
      Bencode rf = Bencode::list();
      rf.push(Bencode::string(source.isV6() ? "IP6" : "IP4"));
      rf.push(Bencode::string(source.ip()));
      req.set("received-from", std::move(rf));
    }
  }
  // The call site's flags last: an explicit key (call-id=..., from-tag=...) overrides.
  for (std::size_t i = 0; i < flags.dict.keys().size(); ++i) {
    req.set(flags.dict.keys()[i], flags.dict.items()[i]);
  }
  return req;
}

bool isFullRelayReply(std::string_view body) {
  Result<Bencode> d = decodeBencode(body);
  if (!d.isOk() || !d.value().isDict()) return false;
  std::string_view result = d.value().getString("result");
  if (result == "load limit") return true;
  if (result != "error") return false;
  std::string_view why = d.value().getString("error-reason");
  for (std::string_view full :
       {"Parallel session limit reached", "Load limit reached", "CPU usage limit reached",
        "Bandwidth limit reached", "Ran out of ports"}) {
    if (why == full) return true;
  }
  return false;
}

Result<NgReply> parseReply(Op op, std::string_view body) {
  Result<Bencode> d = decodeBencode(body);
  if (!d.isOk()) return d.status().withPrefix("malformed reply");
  if (!d.value().isDict()) return Status::invalidArgument("malformed reply: not a dictionary");
  NgReply out;
  out.dict = std::move(d).value();
  std::string_view result = out.dict.getString("result");
  if (result == "error") {
    std::string_view why = out.dict.getString("error-reason");
    return Status::unavailable("error: " + std::string(why.empty() ? "no reason given" : why));
  }
  if (result == "load limit") {
    std::string_view why = out.dict.getString("message");
    return Status::unavailable("load limit: " + std::string(why.empty() ? "no reason given" : why));
  }
  if (result != "ok") {
    return Status::unavailable("unexpected result '" + std::string(result.substr(0, 64)) + "'");
  }
  if (op != Op::kDelete) {
    std::string_view sdp = out.dict.getString("sdp");
    if (sdp.empty()) return Status::invalidArgument("reply without SDP");
    out.sdp = std::string(sdp);
  }
  return out;
}

bool isUnknownCallError(const Status& status) {
  std::string why = toLower(status.message());
  return why.find("unknown call") != std::string::npos ||
         why.find("unknown tag") != std::string::npos ||
         why.find("no such tag") != std::string::npos;
}

bool replaceSdp(SipMessage& msg, std::string_view sdp) {
  std::string_view old;
  std::size_t offset = 0;
  if (!findMessageSdp(msg, old, offset)) return false;
  std::string_view body = msg.body();
  std::string out(body.substr(0, offset));
  out.append(sdp);
  out.append(body.substr(offset + old.size()));
  return msg.replaceBody(std::move(out));
}

}  // namespace sipline::rtpengine
