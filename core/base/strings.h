// Small string helpers used across the core: case-insensitive compare, trimming, number
// parsing without exceptions, and edit distance for "did you mean" hints.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipline {

bool iequals(std::string_view a, std::string_view b);
// Well-formed UTF-8 by RFC 3629 (no overlong forms, no surrogates, nothing past U+10FFFF):
// text that JSON can carry as it is.
bool isUtf8(std::string_view s);
std::string_view trim(std::string_view s);
std::string toLower(std::string_view s);
// Whole string must be a decimal integer (optional leading '-'); no overflow.
bool parseInt(std::string_view s, std::int64_t& out);
// Appends v in lower-case hex, zero-padded to at least `width` digits (hot paths: no printf).
void appendHex(std::string& out, std::uint64_t v, int width = 0);
// Appends v in decimal.
void appendDecimal(std::string& out, std::int64_t v);
std::size_t editDistance(std::string_view a, std::string_view b);
// The closest candidate within distance 2 (or a case-insensitive match), "" if none.
std::string closestMatch(std::string_view word, const std::vector<std::string_view>& candidates);
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string didYouMean(std::string_view word, const std::vector<std::string_view>& candidates);
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sipline
