// The domain service ("domain"): whether a host is one of the SIP domains this server serves
// (the rows of the domain table, as the last load or domain_reload left them). For modules
// that need the same answer as is_domain_local() without going through the script.
// isLocal() is cheap (no lock, no I/O) and may be called from any process after fork; it
// compares case-insensitively and knows nothing of the server's own addresses (`myself`).
#pragma once

#include <string_view>

namespace sipline::domain {

class Api {
 public:
  virtual ~Api() = default;
  // True when `host` (a domain name or an address as written in a URI) is in the table.
  virtual bool isLocal(std::string_view host) = 0;
};

}  // namespace sipline::domain
