// When two Contacts name the same binding: RFC 5626 §6 (same +sip.instance and reg-id, whatever
// the URI) when both carry a reg-id, else RFC 3261 §10.3 step 6 (the URIs are equal by §19.1.4;
// a URI of another scheme, which the SIP parser does not take apart, by its exact text).
// Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace sipline::registrar {

bool sameContactUri(std::string_view a, std::string_view b);

bool sameBinding(std::string_view uri_a, std::string_view instance_a, std::int32_t reg_id_a,
                 std::string_view uri_b, std::string_view instance_b, std::int32_t reg_id_b);

}  // namespace sipline::registrar
