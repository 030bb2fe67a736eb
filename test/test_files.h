// Test helpers for reading the external corpora (test/corpora, byte-exact copies) from unit
// tests. The unit-test objects are compiled with SIPLINE_SOURCE_DIR (the repository root).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace sipline::testing {

// Absolute path of test/corpora/<rel>.
inline std::string corpusPath(const std::string& rel) {
  return std::string(SIPLINE_SOURCE_DIR) + "/test/corpora/" + rel;
}

// The file's bytes as they are ("" when it cannot be read).
inline std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sipline::testing
