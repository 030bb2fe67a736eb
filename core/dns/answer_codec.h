// Compact byte encoding of a DnsAnswer's records, so the shm cache stores one string per
// RRset instead of process-private structs. Format (big-endian integers, lengths in 2 bytes):
// A/AAAA: the raw 4/16-byte addresses; SRV: priority, weight, port, target; NAPTR: order,
// preference, flags, service, regexp, replacement. Not the DNS wire format: it never leaves
// this process family. Pure functions; decode() checks every length.
#pragma once

#include <string>
#include <string_view>

#include "core/dns/dns_types.h"

namespace sipline::dns {

// Appends the records of `answer` that match `type` to `out`.
void encodeRecords(RrType type, const DnsAnswer& answer, std::string& out);
// Fills the matching vector of `answer`; false if `data` is malformed (answer left partial).
bool decodeRecords(RrType type, std::string_view data, DnsAnswer& answer);

}  // namespace sipline::dns
