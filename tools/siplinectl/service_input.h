// What the gateway and service commands (dispatcher, address, group, alias, callfwd) accept,
// checked before any database or MI work so that a typo costs nothing and changes nothing:
//   SETID, GROUP of address   0 .. 2147483647
//   URI                       parses as a SIP URI (core/parser/uri.h); destinations sip:/sips:
//                             (at most 192 characters), forwarding targets sip:/sips: (at
//                             most 128; a tel: URI has no host to send the call to)
//   IP[/MASK]                 an IPv4 (mask 0..32, default 32) or IPv6 address (0..128,
//                             default 128); stored lower-cased
//   --port 0..65535 (0 = any), --proto any|udp|tcp|tls|ws|wss, --pattern a POSIX extended
//   regular expression of at most 64 characters, --context at most 32 characters
//   --socket PROTO:IP[:PORT] (core/config/socket_spec.h, stored canonical), --attrs at most
//   128, --description at most 64 characters; --weight, --priority 0 .. 2147483647;
//   --state active|inactive|probing
//   a group of table grp: 1..64 of [A-Za-z0-9_.-]
//   USER@DOMAIN, ALIAS[@DOMAIN]: identity.h
// Every error is Status::invalidArgument with a message for the operator. No I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "tools/siplinectl/addresses.h"
#include "tools/siplinectl/aliases.h"
#include "tools/siplinectl/callfwd.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/gateways.h"
#include "tools/siplinectl/identity.h"

namespace sipline::ctl {

inline constexpr std::size_t kMaxDestinationLength = 192;
inline constexpr std::size_t kMaxFwdUriLength = 128;
inline constexpr std::size_t kMaxGroupNameLength = 64;

bool isServiceCommand(Command c);
// The commands that only talk to the server (reload, status, set-state): no database.
bool isServiceMiCommand(Command c);
// The commands that change table dispatcher or address (the module caches it: --reload).
bool changesCachedTable(Command c);

struct ServiceInput {
  Gateway gateway;                          // dispatcher add/rm/set-state (setid, destination)
  std::optional<std::int64_t> number;       // dispatcher list SETID, address list GROUP
  std::string ds_state_letter;              // set-state: "a", "i", "p"
  AddressRow address;                       // address add/rm
  std::optional<std::int64_t> port;         // address rm --port
  std::optional<std::string> proto;         // address rm --proto
  Aor aor;                                  // group, callfwd; the target of alias add
  std::optional<Aor> list_aor;              // alias list USER@DOMAIN
  std::string group;                        // group add/rm/list
  std::string alias_user;                   // alias add/rm
  std::optional<std::string> alias_domain;  // alias add/rm; "" never
  Forwarding forwarding;                    // callfwd set
  std::vector<std::string> clear;           // callfwd clear: the attributes
};

Result<ServiceInput> prepareService(const Invocation& inv);

// The parts, each usable alone (and tested alone).
Result<std::int64_t> parseSmallNumber(std::string_view what, std::string_view text);
Status checkDestination(std::string_view uri);
Status checkForwardUri(std::string_view option, std::string_view uri);
// IP[/MASK] into row.ip and row.mask.
Status parseAddressMask(std::string_view text, AddressRow& row);
Status checkGroupName(std::string_view group);
Status checkPattern(std::string_view pattern);
// ALIAS[@DOMAIN]: the user part and the domain (nullopt when not given).
Status parseAlias(std::string_view text, std::string& user, std::optional<std::string>& domain);

}  // namespace sipline::ctl
