#include "core/base/base64.h"

#include <openssl/evp.h>

#include <cctype>

namespace sipline {

std::string base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

bool base64Decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  // Padding only at the end, at most two '='; EVP_DecodeBlock would count them as zero bytes.
  std::size_t pad = 0;
  while (pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  if (pad > 2 || text.substr(0, text.size() - pad).find('=') != std::string_view::npos) {
    return false;
  }
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) {
      return false;  // EVP_DecodeBlock would skip some whitespace
    }
  }
  if (text.empty()) return true;
  out.resize(text.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad) return false;
  out.resize(static_cast<std::size_t>(n) - pad);
  return true;
}

}  // namespace sipline
