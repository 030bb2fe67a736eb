// Destination sets of the dispatcher: the private (per-process) description of what the
// source (the dispatcher table or list_file) says, how list_file lines and table rows are
// checked, and the compact text form the sets travel in through shared memory (so every
// worker rebuilds the same list after a reload). Pure data and functions: no shm, no I/O
// except readListFile().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::dispatcher {

// A destination's state, as the table's state column numbers them.
enum class DsState : std::uint8_t { kActive = 0, kInactive = 1, kProbing = 2 };
const char* stateName(DsState s);  // "active", "inactive", "probing"
// "a"/"i"/"p" (or the full names, any case); invalidArgument otherwise.
Result<DsState> parseState(std::string_view text);

struct Destination {
  std::int64_t setid = 0;
  std::string uri;  // sip:host[:port][;params]
  std::string socket;
  DsState initial = DsState::kActive;  // the source's state (for a destination new to the server)
  std::int64_t weight = 1;
  std::int64_t priority = 0;
  std::string attrs;
  std::string host;        // the URI's host without brackets
  std::uint16_t port = 0;  // the URI's port, 0 when absent
  std::string hostport;    // host[:port] as in the URI (for ds_select_domain)
};

// A destination set, destinations in priority order (lower first, then source order).
struct DsSet {
  std::int64_t id = 0;
  std::vector<Destination> dests;
  std::size_t first_slot = 0;  // index of dests[0] in the flat list (the shm state slots)
};

// Sets sorted by id; slots numbered set by set.
struct DsList {
  std::vector<DsSet> sets;
  std::size_t size() const;  // destinations in all sets
  const DsSet* find(std::int64_t setid) const;
};

inline constexpr std::int64_t kMaxWeight = 1000000;

// Fills the derived fields (host, port, hostport) of d; invalidArgument when the URI is not
// a sip:/sips: URI with a host, the set is negative, the weight is outside 0..kMaxWeight or
// attrs hold a tab or newline.
Status checkDestination(Destination& d);

// Groups, sorts and numbers destinations into a list; a (setid, uri) given twice keeps the
// first (logged by the caller through `duplicates`).
DsList buildList(std::vector<Destination> dests, std::vector<std::string>* duplicates = nullptr);

// One list_file line: "setid destination [flags [priority [attrs [weight]]]]"; flags 1 =
// inactive, 2 = probing (as the state column). Empty and '#' lines give ok with
// `skip` set. invalidArgument names the field that is wrong.
Status parseListLine(std::string_view line, Destination& out, bool& skip);
// The whole file: every bad line is an error "file:line: why" (all of them, not only the
// first); notFound when the file cannot be read.
Result<std::vector<Destination>> readListFile(const std::string& path);

// The text form of a list, one destination per line, and back (false when malformed).
std::string serializeList(const DsList& list);
bool deserializeList(std::string_view text, DsList& out);

}  // namespace sipline::dispatcher
