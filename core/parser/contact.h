// Contact header values (RFC 3261 §20.10): either "*" (REGISTER remove-all) or a list of
// name-addr / addr-spec, each with its expires and q contact-params decoded. Views into the
// parsed header bodies; appending to the caller's vector is the only allocation.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/parser/header_values.h"
#include "core/parser/name_addr.h"
#include "core/parser/parse_error.h"

namespace sipline {

struct Contact {
  NameAddr addr;           // addr.params holds every contact-param
  Uint32Field expires;     // kAbsent, kOk, or kBad (over 2^32-1 or not digits, RFC 4475
                           // scalar02); a registrar treats kBad as its default (RFC 3261 §10.3)
  std::uint16_t q = 1000;  // thousandths, 0..1000; 1000 when absent
  bool has_q = false;
};

struct ContactList {
  bool star = false;  // "Contact: *"; items is then empty
  std::vector<Contact> items;
};

// Parses one Contact header body and appends to out (call once per Contact header, in order).
// kOk; kBadHeader for "*" mixed with other values or a malformed q ("q=2", "q=0.1234");
// otherwise the error of parseNameAddrList() (kBadUri / kBadHeader). A "*" after values of an
// earlier header (out.items not empty) is kBadHeader too.
ParseError parseContactBody(std::string_view body, ContactList& out);

}  // namespace sipline
