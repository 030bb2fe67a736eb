// The ordering rules of RFC 3263 and RFC 2782 as pure functions over records: which NAPTR
// records a SIP client may follow, in which order, and the SRV order (priority, then a
// weighted random pick inside each priority). No I/O; the random source is injected so tests
// are deterministic. Private memory only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config/socket_spec.h"
#include "core/dns/dns_types.h"

namespace sipline::dns {

// The transports the caller can send on (today the relays have UDP only).
struct TransportSet {
  bool udp = true;
  bool tcp = false;
  bool tls = false;
  bool has(Proto p) const { return p == Proto::kUdp ? udp : p == Proto::kTcp ? tcp : tls; }
};

// One NAPTR record a SIP client may follow: the transport it names and its SRV name.
struct NaptrChoice {
  Proto proto = Proto::kUdp;
  std::string srv_name;  // normalized (lower case, no trailing dot)
  bool operator==(const NaptrChoice&) const = default;
};

// RFC 3263 §4.1: keeps records with flag "s", a service SIP+D2U / SIP+D2T / SIPS+D2T whose
// transport is in `usable` (only SIPS+D2T when `secure`), and a valid replacement; ordered by
// order, then preference (RFC 3403 §4.1), file order breaking ties. Services compare
// case-insensitively. Duplicates (same transport and name) are kept once.
std::vector<NaptrChoice> selectNaptr(const std::vector<NaptrRecord>& records, TransportSet usable,
                                     bool secure);

// RFC 2782: ascending priority; inside one priority, repeatedly pick with probability
// proportional to weight (weight 0 records first in the running sum, so they are picked
// rarely but never starved). random(bound) returns a value in [0, bound]. A set made of one
// record whose target is "." means the service is not offered: returns empty. Other "."
// targets are dropped.
std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, const RandomUpTo& random);

// "_sip._udp.", "_sip._tcp." or "_sips._tcp." + name (RFC 3263 §4.1, the no-NAPTR case).
std::string srvNameFor(Proto proto, std::string_view name);

}  // namespace sipline::dns
