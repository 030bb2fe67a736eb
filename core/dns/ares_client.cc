#include "core/dns/ares_client.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "core/base/log.h"

namespace sipline::dns {
namespace {

// At most this many records of one answer are kept (a SIP domain needs a handful).
constexpr int kMaxRecords = 32;

std::string text(const unsigned char* s) {
  return s != nullptr ? reinterpret_cast<const char*>(s) : "";
}

void parseInto(RrType type, const unsigned char* abuf, int alen, DnsAnswer& a) {
  int rc = ARES_SUCCESS;
  std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
  switch (type) {
    case RrType::kA: {
      ares_addrttl ttls[kMaxRecords];
      int n = kMaxRecords;
      rc = ares_parse_a_reply(abuf, alen, nullptr, ttls, &n);
      for (int i = 0; rc == ARES_SUCCESS && i < n; ++i) {
        IpAddress ip;
        ip.family = AF_INET;
        std::memcpy(ip.bytes, &ttls[i].ipaddr, 4);
        a.addrs.push_back(ip);
        ttl = std::min(ttl, static_cast<std::uint32_t>(std::max(ttls[i].ttl, 0)));
      }
      break;
    }
    case RrType::kAaaa: {
      ares_addr6ttl ttls[kMaxRecords];
      int n = kMaxRecords;
      rc = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &n);
      for (int i = 0; rc == ARES_SUCCESS && i < n; ++i) {
        IpAddress ip;
        ip.family = AF_INET6;
        std::memcpy(ip.bytes, &ttls[i].ip6addr, 16);
        a.addrs.push_back(ip);
        ttl = std::min(ttl, static_cast<std::uint32_t>(std::max(ttls[i].ttl, 0)));
      }
      break;
    }
    case RrType::kSrv: {
      ares_srv_reply* head = nullptr;
      rc = ares_parse_srv_reply(abuf, alen, &head);
      for (ares_srv_reply* r = head; rc == ARES_SUCCESS && r != nullptr; r = r->next) {
        if (a.srv.size() == kMaxRecords) break;
        a.srv.push_back(
            SrvRecord{r->priority, r->weight, r->port, r->host != nullptr ? r->host : ""});
      }
      if (head != nullptr) ares_free_data(head);
      if (rc == ARES_SUCCESS && !minAnswerTtl(abuf, alen, ttl)) ttl = 0;
      break;
    }
    case RrType::kNaptr: {
      ares_naptr_reply* head = nullptr;
      rc = ares_parse_naptr_reply(abuf, alen, &head);
      for (ares_naptr_reply* r = head; rc == ARES_SUCCESS && r != nullptr; r = r->next) {
        if (a.naptr.size() == kMaxRecords) break;
        a.naptr.push_back(NaptrRecord{r->order, r->preference, text(r->flags), text(r->service),
                                      text(r->regexp),
                                      r->replacement != nullptr ? r->replacement : ""});
      }
      if (head != nullptr) ares_free_data(head);
      if (rc == ARES_SUCCESS && !minAnswerTtl(abuf, alen, ttl)) ttl = 0;
      break;
    }
  }
  if (rc == ARES_ENODATA) {
    a.rcode = Rcode::kNoData;  // e.g. only a CNAME came back
  } else if (rc != ARES_SUCCESS) {
    a.rcode = Rcode::kFailure;
    a.error = std::string("malformed answer: ") + ares_strerror(rc);
  } else {
    a.rcode = Rcode::kOk;
    a.ttl = ttl == std::numeric_limits<std::uint32_t>::max() ? 0 : ttl;
  }
}

struct Pending {
  DnsAnswer* answer = nullptr;
  RrType type = RrType::kA;
  bool done = false;
};

void onAnswer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* p = static_cast<Pending*>(arg);
  p->done = true;
  DnsAnswer& a = *p->answer;
  switch (status) {
    case ARES_SUCCESS:
      parseInto(p->type, abuf, alen, a);
      return;
    case ARES_ENODATA:
      a.rcode = Rcode::kNoData;
      return;
    case ARES_ENOTFOUND:
      a.rcode = Rcode::kNxDomain;
      return;
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED:
      a.rcode = Rcode::kTimeout;
      a.error = "no answer in time";
      return;
    default:
      a.rcode = Rcode::kFailure;
      a.error = ares_strerror(status);
      return;
  }
}

}  // namespace

// RFC 1035 §4.1 layout; c-ares' own name expander steps over the (compressed) names.
bool minAnswerTtl(const unsigned char* abuf, int alen, std::uint32_t& ttl) {
  if (alen < 12) return false;
  const unsigned char* p = abuf + 12;
  const unsigned char* end = abuf + alen;
  auto skipName = [&] {
    char* name = nullptr;
    long len = 0;
    if (ares_expand_name(p, abuf, alen, &name, &len) != ARES_SUCCESS) return false;
    ares_free_string(name);
    p += len;
    return p <= end;
  };
  const int questions = abuf[4] << 8 | abuf[5];
  const int answers = abuf[6] << 8 | abuf[7];
  for (int i = 0; i < questions; ++i) {
    if (!skipName() || end - p < 4) return false;
    p += 4;
  }
  bool found = false;
  ttl = std::numeric_limits<std::uint32_t>::max();
  for (int i = 0; i < answers; ++i) {
    if (!skipName() || end - p < 10) return false;
    std::uint32_t t = static_cast<std::uint32_t>(p[4]) << 24 |
                      static_cast<std::uint32_t>(p[5]) << 16 |
                      static_cast<std::uint32_t>(p[6]) << 8 | p[7];
    const int rdlen = p[8] << 8 | p[9];
    p += 10;
    if (end - p < rdlen) return false;
    p += rdlen;
    if (t > 0x7fffffffu) t = 0;
    ttl = std::min(ttl, t);
    found = true;
  }
  return found;
}

AresClient::~AresClient() { destroyChannel(); }

void AresClient::destroyChannel() {
  if (channel_ != nullptr) ares_destroy(channel_);
  channel_ = nullptr;
}

int AresClient::perTryTimeoutMs(const AresOptions& options) {
  const int tries = std::clamp(options.retries, 0, 10) + 1;
  return std::max(10, options.timeout_ms / ((1 << tries) - 1));
}

Status AresClient::ensureChannel() {
  if (channel_ != nullptr && channel_pid_ == getpid()) return Status::ok();
  // A channel from before fork shares its sockets with the parent: drop this copy.
  destroyChannel();
  static bool library_ready = false;
  if (!library_ready) {
    const int rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
      return Status::unavailable(std::string("c-ares: ") + ares_strerror(rc));
    }
    library_ready = true;
  }
  ares_options opts{};
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  opts.flags = ARES_FLAG_STAYOPEN | ARES_FLAG_NOSEARCH;
  opts.timeout = perTryTimeoutMs(options_);
  opts.tries = std::clamp(options_.retries, 0, 10) + 1;
  char no_file[] = "/dev/null";
  if (!options_.servers.empty()) {
    mask |= ARES_OPT_RESOLVCONF;  // the configured servers only: never the system's
    opts.resolvconf_path = no_file;
  }
  ares_channel channel = nullptr;
  int rc = ares_init_options(&channel, &opts, mask);
  if (rc != ARES_SUCCESS) return Status::unavailable(std::string("c-ares: ") + ares_strerror(rc));
  if (!options_.servers.empty()) {
    std::string csv;
    for (const std::string& s : options_.servers) csv += (csv.empty() ? "" : ",") + s;
    rc = ares_set_servers_ports_csv(channel, csv.c_str());
    if (rc != ARES_SUCCESS) {
      ares_destroy(channel);
      return Status::invalidArgument("c-ares: bad dns_servers '" + csv + "': " + ares_strerror(rc));
    }
  }
  channel_ = channel;
  channel_pid_ = getpid();
  return Status::ok();
}

std::vector<DnsAnswer> AresClient::query(const std::vector<DnsQuestion>& questions,
                                         std::int64_t deadline_ms) {
  std::vector<DnsAnswer> out(questions.size());
  if (questions.empty()) return out;
  Status st = ensureChannel();
  if (!st.isOk()) {
    for (DnsAnswer& a : out) a.error = st.message();
    return out;
  }
  std::vector<Pending> pending(questions.size());
  for (std::size_t i = 0; i < questions.size(); ++i) {
    pending[i] = Pending{&out[i], questions[i].type, false};
    // c-ares may answer at once (a bad name): the callback then runs inside ares_query.
    ares_query(channel_, questions[i].name.c_str(), ns_c_in, static_cast<int>(questions[i].type),
               onAnswer, &pending[i]);
  }
  auto allDone = [&] {
    return std::all_of(pending.begin(), pending.end(), [](const Pending& p) { return p.done; });
  };
  while (!allDone()) {
    const std::int64_t left = deadline_ms - monotonicMs();
    if (left <= 0) {
      ares_cancel(channel_);  // every open query ends now, as kTimeout
      break;
    }
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    nfds_t n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      const bool r = ARES_GETSOCK_READABLE(bits, i);
      const bool w = ARES_GETSOCK_WRITABLE(bits, i);
      if (!r && !w) continue;
      fds[n++] = pollfd{socks[i], static_cast<short>((r ? POLLIN : 0) | (w ? POLLOUT : 0)), 0};
    }
    timeval cap{static_cast<time_t>(left / 1000), static_cast<suseconds_t>((left % 1000) * 1000)};
    timeval tv{};
    const timeval* next = ares_timeout(channel_, &cap, &tv);
    const int wait_ms = static_cast<int>(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
    const int ready = poll(fds, n, std::max(wait_ms, 1));
    if (ready < 0 && errno != EINTR) {
      SL_ERR_RATELIMITED("dns: poll: %s", std::strerror(errno));
      ares_cancel(channel_);
      break;
    }
    if (ready <= 0) {
      ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retransmit / time out
      continue;
    }
    for (nfds_t i = 0; i < n; ++i) {
      const bool r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool w = (fds[i].revents & POLLOUT) != 0;
      if (r || w) {
        ares_process_fd(channel_, r ? fds[i].fd : ARES_SOCKET_BAD, w ? fds[i].fd : ARES_SOCKET_BAD);
      }
    }
  }
  return out;
}

}  // namespace sipline::dns
