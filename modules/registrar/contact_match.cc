#include "modules/registrar/contact_match.h"

#include "core/base/strings.h"
#include "core/parser/uri.h"

namespace sipline::registrar {

bool sameContactUri(std::string_view a, std::string_view b) {
  if (a == b) return true;
  SipUri ua, ub;
  if (parseUri(a, ua) == ParseError::kOk && parseUri(b, ub) == ParseError::kOk) {
    return uriEquals(ua, ub);
  }
  return false;
}

bool sameBinding(std::string_view uri_a, std::string_view instance_a, std::int32_t reg_id_a,
                 std::string_view uri_b, std::string_view instance_b, std::int32_t reg_id_b) {
  if (reg_id_a != 0 && reg_id_b != 0 && !instance_a.empty() && !instance_b.empty()) {
    // RFC 5626 §6: the flow is the binding. Instance URNs compare case-insensitively
    // (urn:uuid, RFC 4122 §3).
    return reg_id_a == reg_id_b && iequals(instance_a, instance_b);
  }
  return sameContactUri(uri_a, uri_b);
}

}  // namespace sipline::registrar
