#include "tools/siplinectl/password.h"

#include <openssl/rand.h>

#include <array>

#include "tools/siplinectl/identity.h"

namespace sipline::ctl {

Result<std::string> generatePassword() {
  constexpr std::size_t kSymbols = sizeof(kPasswordAlphabet) - 1;
  // Rejection sampling: bytes at or above the largest multiple of kSymbols would bias the
  // first symbols, so they are drawn again.
  constexpr unsigned kLimit = 256 - 256 % kSymbols;
  std::string out;
  std::array<unsigned char, 64> buf;
  for (int round = 0; out.size() < kGeneratedPasswordLength; ++round) {
    if (round == 16) return Status::internal("the random source gives no usable bytes");
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
      return Status::internal("the random source (OpenSSL RAND_bytes) failed");
    }
    for (unsigned char b : buf) {
      if (b >= kLimit) continue;
      out += kPasswordAlphabet[b % kSymbols];
      if (out.size() == kGeneratedPasswordLength) break;
    }
  }
  return out;
}

Result<std::string> readPasswordLine(std::istream& in) {
  std::string line;
  if (!std::getline(in, line) && line.empty()) {
    return Status::invalidArgument("--stdin: no password on standard input");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  Status st = checkPassword(line);
  if (!st.isOk()) return st.withPrefix("--stdin");
  return line;
}

}  // namespace sipline::ctl
