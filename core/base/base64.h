// Base64 (RFC 4648 §4, with padding) over OpenSSL's block coder: for bytes that must travel
// in text (HTTP Basic credentials, binary SIP bodies in management JSON). Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sipline {

std::string base64Encode(std::string_view data);
// Strict: a length that is a multiple of 4, only the alphabet, at most two '=' and only at
// the end (no whitespace). False (out unspecified) otherwise.
bool base64Decode(std::string_view text, std::string& out);

}  // namespace sipline
