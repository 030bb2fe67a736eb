#include "core/dns/srv_order.h"

#include <algorithm>

#include "core/base/strings.h"

namespace sipline::dns {

std::vector<NaptrChoice> selectNaptr(const std::vector<NaptrRecord>& records, TransportSet usable,
                                     bool secure) {
  std::vector<const NaptrRecord*> sorted;
  for (const NaptrRecord& r : records) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const NaptrRecord* a, const NaptrRecord* b) {
    return a->order != b->order ? a->order < b->order : a->preference < b->preference;
  });
  std::vector<NaptrChoice> out;
  for (const NaptrRecord* r : sorted) {
    if (!iequals(r->flags, "s")) continue;
    NaptrChoice choice;
    if (iequals(r->service, "SIP+D2U") && !secure) {
      choice.proto = Proto::kUdp;
    } else if (iequals(r->service, "SIP+D2T") && !secure) {
      choice.proto = Proto::kTcp;
    } else if (iequals(r->service, "SIPS+D2T")) {
      choice.proto = Proto::kTls;
    } else {
      continue;  // SCTP, unknown services, or a non-secure transport for a sips URI
    }
    if (!usable.has(choice.proto)) continue;
    choice.srv_name = normalizeName(r->replacement, nullptr);
    if (choice.srv_name.empty()) continue;
    if (std::find(out.begin(), out.end(), choice) == out.end()) out.push_back(std::move(choice));
  }
  return out;
}

std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, const RandomUpTo& random) {
  if (records.size() == 1 && (records[0].target == "." || records[0].target.empty())) return {};
  std::erase_if(records, [](const SrvRecord& r) { return r.target == "." || r.target.empty(); });
  std::stable_sort(records.begin(), records.end(), [](const SrvRecord& a, const SrvRecord& b) {
    return a.priority != b.priority ? a.priority < b.priority : (a.weight == 0 && b.weight != 0);
  });
  std::vector<SrvRecord> out;
  out.reserve(records.size());
  std::size_t begin = 0;
  while (begin < records.size()) {
    std::size_t end = begin;
    while (end < records.size() && records[end].priority == records[begin].priority) ++end;
    // Weighted picks among records[begin, end); the picked one is rotated out of the range.
    for (std::size_t left = begin; left < end; ++left) {
      std::uint32_t sum = 0;
      for (std::size_t i = left; i < end; ++i) sum += records[i].weight;
      const std::uint32_t draw = random(sum);
      std::size_t pick = end - 1;
      std::uint32_t running = 0;
      for (std::size_t i = left; i < end; ++i) {
        running += records[i].weight;
        if (running >= draw) {
          pick = i;
          break;
        }
      }
      // Keeps the remaining records in their order (weight 0 still first).
      std::rotate(records.begin() + static_cast<std::ptrdiff_t>(left),
                  records.begin() + static_cast<std::ptrdiff_t>(pick),
                  records.begin() + static_cast<std::ptrdiff_t>(pick) + 1);
      out.push_back(records[left]);
    }
    begin = end;
  }
  return out;
}

std::string srvNameFor(Proto proto, std::string_view name) {
  const char* prefix = proto == Proto::kUdp   ? "_sip._udp."
                       : proto == Proto::kTcp ? "_sip._tcp."
                                              : "_sips._tcp.";
  return prefix + std::string(name);
}

}  // namespace sipline::dns
