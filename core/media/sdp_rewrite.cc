// rewriteSdp(): collects replacements, insertions and removals as offsets into the body, then
// builds the new body in one pass.
#include "core/media/sdp_rewrite.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "core/base/strings.h"

namespace sipline::media {
namespace {

struct Change {
  std::size_t offset;
  std::size_t length;  // 0: an insertion
  std::string text;
};

bool isIp6(std::string_view address) { return address.find(':') != std::string_view::npos; }

bool isNumericIp(const std::string& address) {
  std::array<unsigned char, 16> buf{};
  int family = isIp6(address) ? AF_INET6 : AF_INET;
  return inet_pton(family, address.c_str(), buf.data()) == 1;
}

const char* addrTypeOf(std::string_view address) { return isIp6(address) ? "IP6" : "IP4"; }

// The address fields of a c= line: the type and the address (the /ttl/count suffix stays).
void rewriteConnection(const SdpSession& s, const SdpConnection& c, const std::string& address,
                       std::vector<Change>& out) {
  if (c.isUnspecified() || c.address.empty()) return;  // hold: keep "no media" as it is
  out.push_back({s.offsetOf(c.addrtype), c.addrtype.size(), addrTypeOf(address)});
  out.push_back({s.offsetOf(c.address), c.address.size(), address});
}

// Where a media-level c= line goes: after the m= line and its i= line (RFC 8866 §5 order).
std::size_t connectionInsertPoint(const SdpSession& s, const SdpMedia& m) {
  std::string_view text = m.text;
  std::size_t pos = text.find('\n');
  pos = pos == std::string_view::npos ? text.size() : pos + 1;
  if (text.substr(pos, 2) == "i=") {
    std::size_t end = text.find('\n', pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
  }
  return s.offsetOf(text) + pos;
}

// A new line at `at`, after a line end (the body's last line may lack one).
Change insertLine(const SdpSession& s, std::size_t at, std::string line, const std::string& eol) {
  if (at > 0 && s.body[at - 1] != '\n') line = eol + line;
  return {at, 0, std::move(line)};
}

void removeLine(const SdpSession& s, std::string_view line, std::vector<Change>& out) {
  if (!line.empty()) out.push_back({s.offsetOf(line), line.size(), ""});
}

bool hasAttributeLine(const std::vector<SdpAttribute>& attrs, std::string_view text) {
  for (const SdpAttribute& a : attrs) {
    std::string_view whole = a.line;
    while (!whole.empty() && (whole.back() == '\n' || whole.back() == '\r')) whole.remove_suffix(1);
    if (whole.size() > 2 && whole.substr(2) == text) return true;
  }
  return false;
}

std::string applyChanges(std::string_view text, std::vector<Change> changes) {
  // Insertions before a removal or replacement at the same offset (their length is 0).
  std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.length < b.length;
  });
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t pos = 0;
  for (const Change& c : changes) {
    if (c.offset < pos) continue;  // overlapping views: cannot happen with a parsed body
    out.append(text.substr(pos, c.offset - pos));
    out += c.text;
    pos = c.offset + c.length;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

const char* rewriteErrorText(RewriteError e) {
  switch (e) {
    case RewriteError::kOk:
      return "ok";
    case RewriteError::kBadSdp:
      return "the SDP does not parse";
    case RewriteError::kBadTarget:
      return "bad relay target (stream index or address)";
  }
  return "Unknown rewrite error";
}

bool isIceAttribute(std::string_view name) {
  // RFC 8839 §5: candidate, remote-candidates, ice-lite, ice-mismatch, ice-ufrag, ice-pwd,
  // ice-pacing, ice-options; end-of-candidates from RFC 8840.
  return name == "candidate" || name == "remote-candidates" || name == "end-of-candidates" ||
         name.substr(0, 4) == "ice-";
}

RewriteError rewriteSdp(const SdpSession& session, const std::vector<StreamTarget>& targets,
                        const RewriteOptions& options, std::string& out) {
  const SdpSession& s = session;
  if (targets.size() > s.media.size()) return RewriteError::kBadTarget;
  for (const StreamTarget& t : targets) {
    if (t.set && !isNumericIp(t.address)) return RewriteError::kBadTarget;
  }
  const std::string eol = s.body.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
  auto target = [&](std::size_t i) -> const StreamTarget* {
    if (i >= targets.size() || !targets[i].set || s.media[i].isRejected()) return nullptr;
    return &targets[i];
  };

  std::vector<Change> changes;
  const std::string* first_address = nullptr;  // for o=
  // The address the session c= gets: the first targeted stream's that relies on it.
  const std::string* session_address = nullptr;
  for (std::size_t i = 0; i < s.media.size(); ++i) {
    const StreamTarget* t = target(i);
    if (t == nullptr) continue;
    if (first_address == nullptr) first_address = &t->address;
    if (s.media[i].connections.empty() && s.has_connection && session_address == nullptr) {
      session_address = &t->address;
    }
  }
  if (session_address != nullptr) rewriteConnection(s, s.connection, *session_address, changes);

  for (std::size_t i = 0; i < s.media.size(); ++i) {
    const SdpMedia& m = s.media[i];
    const StreamTarget* t = target(i);
    if (m.connections.empty()) {
      // Relies on the session c= (or has none): give it its own c= when that would now carry
      // another address than the one it should have.
      const bool session_hold = s.has_connection && s.connection.isUnspecified();
      if (t != nullptr && !s.has_connection) {
        changes.push_back(insertLine(
            s, connectionInsertPoint(s, m),
            std::string("c=IN ") + addrTypeOf(t->address) + " " + t->address + eol, eol));
      } else if (session_address != nullptr && !session_hold && !m.isRejected() &&
                 (t == nullptr || t->address != *session_address)) {
        std::string line = std::string(s.connection.line);
        if (t != nullptr) {
          line = std::string("c=IN ") + addrTypeOf(t->address) + " " + t->address + eol;
        } else if (line.empty() || line.back() != '\n') {
          line += eol;  // the session c= was the body's last line without a line end
        }
        changes.push_back(insertLine(s, connectionInsertPoint(s, m), std::move(line), eol));
      }
    }
    if (t != nullptr) {
      for (const SdpConnection& c : m.connections) rewriteConnection(s, c, t->address, changes);
      std::string port;
      appendDecimal(port, t->port);
      changes.push_back({s.offsetOf(m.port_text), m.port_text.size(), port});
      if (m.has_rtcp && !m.rtcp.port_text.empty()) {
        // RTCP multiplexed on the RTP port (RFC 5761) stays there; else the relay's pair.
        const bool mux = m.attribute("rtcp-mux") != nullptr;
        std::string rtcp;
        appendDecimal(rtcp, static_cast<std::int64_t>(t->port) + (mux ? 0 : 1));
        changes.push_back({s.offsetOf(m.rtcp.port_text), m.rtcp.port_text.size(), rtcp});
        if (!m.rtcp.address.empty() && !m.rtcp.addrtype.empty()) {
          changes.push_back(
              {s.offsetOf(m.rtcp.addrtype), m.rtcp.addrtype.size(), addrTypeOf(t->address)});
          changes.push_back({s.offsetOf(m.rtcp.address), m.rtcp.address.size(), t->address});
        }
      }
    }
    if (options.ice == IceMode::kRemove && t != nullptr) {
      for (const SdpAttribute& a : m.attributes) {
        if (isIceAttribute(a.name)) removeLine(s, a.line, changes);
      }
    }
  }
  if (options.ice == IceMode::kRemove && first_address != nullptr) {
    for (const SdpAttribute& a : s.attributes) {
      if (isIceAttribute(a.name)) removeLine(s, a.line, changes);
    }
  }
  if (options.rewrite_origin && first_address != nullptr && s.has_origin &&
      !s.origin.address.empty()) {
    changes.push_back(
        {s.offsetOf(s.origin.addrtype), s.origin.addrtype.size(), addrTypeOf(*first_address)});
    changes.push_back({s.offsetOf(s.origin.address), s.origin.address.size(), *first_address});
  }
  if (!options.add_session_attribute.empty() &&
      !hasAttributeLine(s.attributes, options.add_session_attribute)) {
    // At the end of the session section, where session attributes belong (before m=).
    std::size_t at = s.offsetOf(s.session_text) + s.session_text.size();
    changes.push_back(insertLine(s, at, "a=" + options.add_session_attribute + eol, eol));
  }
  out = applyChanges(s.body, std::move(changes));
  return RewriteError::kOk;
}

RewriteError rewriteSdpBody(std::string_view body, const std::vector<StreamTarget>& targets,
                            const RewriteOptions& options, std::string& out) {
  SdpSession session;
  if (parseSdp(body, session) != SdpError::kOk) return RewriteError::kBadSdp;
  return rewriteSdp(session, targets, options, out);
}

}  // namespace sipline::media
