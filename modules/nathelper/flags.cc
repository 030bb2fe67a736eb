// The flags arguments of nat_uac_test() and fix_nated_sdp(): OpenSIPS's numbers, or names.
#include <cctype>
#include <string>
#include <vector>

#include "core/base/strings.h"
#include "modules/nathelper/nathelper.h"

namespace sipline::nathelper {
namespace {

struct FlagName {
  const char* name;
  std::uint32_t bit;
};

constexpr FlagName kNatTestNames[] = {
    {"private-contact", kPrivateContact},
    {"via-differs", kViaDiffers},
    {"private-via", kPrivateVia},
    {"private-sdp", kPrivateSdp},
    {"via-port-differs", kViaPortDiffers},
    {"contact-differs", kContactDiffers},
    {"contact-port-differs", kContactPortDiffers},
};
constexpr FlagName kSdpFixNames[] = {
    {"add-dir-active", kAddDirActive},
    {"rewrite-c", kRewriteC},
    {"rewrite-o", kRewriteO},
    {"rewrite-null", kRewriteNull},
};

template <std::size_t N>
Result<std::uint32_t> parseFlags(std::string_view text, const FlagName (&names)[N],
                                 std::uint32_t allowed, std::uint32_t modifiers) {
  text = trim(text);
  if (text.empty()) return Status::invalidArgument("no flags given");
  std::uint32_t out = 0;
  if (std::isdigit(static_cast<unsigned char>(text.front()))) {
    std::int64_t v = 0;
    if (!parseInt(text, v) || v < 0 || v > 0xffff) {
      return Status::invalidArgument("flags \"" + std::string(text) + "\" is not a number");
    }
    if ((static_cast<std::uint32_t>(v) & ~allowed) != 0) {
      return Status::invalidArgument("unknown flag bits in " + std::string(text) +
                                     " (known: " + std::to_string(allowed) + ")");
    }
    out = static_cast<std::uint32_t>(v);
  } else {
    std::vector<std::string_view> known;
    for (const FlagName& f : names) known.push_back(f.name);
    std::size_t pos = 0;
    while (pos <= text.size()) {
      std::size_t end = text.find_first_of("|,", pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view word = trim(text.substr(pos, end - pos));
      bool found = false;
      for (const FlagName& f : names) {
        if (iequals(word, f.name)) {
          out |= f.bit;
          found = true;
        }
      }
      if (!found) {
        return Status::invalidArgument("unknown flag \"" + std::string(word) + "\"" +
                                       didYouMean(word, known));
      }
      pos = end + 1;
    }
  }
  if ((out & ~modifiers) == 0) {
    return Status::invalidArgument("flags \"" + std::string(text) + "\" select nothing to do");
  }
  return out;
}

}  // namespace

Result<std::uint32_t> parseNatTestFlags(std::string_view text) {
  return parseFlags(text, kNatTestNames, kAllNatTests, 0);
}

Result<std::uint32_t> parseSdpFixFlags(std::string_view text) {
  return parseFlags(text, kSdpFixNames, kAllSdpFixes, kRewriteNull);
}

}  // namespace sipline::nathelper
