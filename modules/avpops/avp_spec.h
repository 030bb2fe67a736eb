// What avpops' script arguments mean, parsed once at load: the source of the key a row is
// filed under ("$ru", "$fu/username", "$avp(uuid)"), the AVP name argument ("$avp(callfwd)",
// or "$avp(*)" for every attribute) and avp_db_query's destination list; and, per message, how
// a source value becomes the key of usr_preferences rows. Pure string work: no script, DB or
// message types, so the tests call it directly. Process-private.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::avpops {

// What of the source value keys the rows. Without "/part" the source decides, as in
// OpenSIPS: $ru, $fu, $tu and $ou are URIs; any other pseudo-variable ($avp(uuid), $var(x),
// $hdr(...)) and a constant are a uuid, whatever the value looks like.
enum class KeyPart : std::uint8_t {
  kUri,       // "/uri": a SIP URI's username and domain (domain only with use_domain)
  kUuid,      // "/uuid": the whole value, matched against the uuid column
  kUsername,  // "/username": the URI's user (or the whole value when it is not a URI)
  kDomain,    // "/domain": the URI's host (or the whole value when it is not a URI)
};

struct SourceSpec {
  std::string pvar;  // the pseudo-variable without '$' ("ru", "avp(x)"); "" for a constant
  std::string constant;
  KeyPart part = KeyPart::kUuid;
};

// "$ru", "$fu/username", "$tu/domain", "$avp(x)[/uri]", "$ru/uuid"; a text without '$' is a
// constant value. The part is case-insensitive. invalidArgument for an unknown "/part" or an
// empty source.
Result<SourceSpec> parseSource(std::string_view text);

// The columns a row is matched on; empty strings are not part of the match.
struct RowKey {
  std::string uuid;
  std::string username;
  std::string domain;
  bool by_uuid = false;
  bool by_username = false;
  bool by_domain = false;
};

// The key of a source value. kUri: a sip/sips URI with a user gives username (and domain
// when use_domain). kUuid: the value. invalidArgument when the value is empty, is no such URI
// for kUri, or the part asked for is empty (a URI without user for "/username").
Result<RowKey> keyOf(std::string_view value, KeyPart part, bool use_domain);

// "$avp(name)" or "name": the AVP name; "*" / "$avp(*)" (when allow_all) is "*".
// invalidArgument for anything else (names are [A-Za-z0-9_.-]+, at most 32 characters: the
// attribute column's width).
Result<std::string> parseAvpName(std::string_view text, bool allow_all);

// "$avp(a);$avp(b)" (spaces allowed around items): the names, in order; at least one.
Result<std::vector<std::string>> parseAvpList(std::string_view text);

}  // namespace sipline::avpops
