// Test helper for the settings loader: a temporary directory with a modules/ directory and a
// sipline.routes, where a test writes sipline.cfg (and any file it names) and loads it.
#pragma once

#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/config/settings.h"

namespace sipline::testing {

class SettingsDir {
 public:
  SettingsDir() {
    char tmpl[] = "/tmp/sipline-settings-test-XXXXXX";
    CPPUNIT_ASSERT(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    CPPUNIT_ASSERT_EQUAL(0, mkdir((dir_ + "/modules").c_str(), 0755));
    write("sipline.routes", "route { exit; }\n");
  }
  ~SettingsDir() { std::filesystem::remove_all(dir_); }
  SettingsDir(const SettingsDir&) = delete;
  SettingsDir& operator=(const SettingsDir&) = delete;

  const std::string& path() const { return dir_; }
  std::string cfg() const { return dir_ + "/sipline.cfg"; }
  // Writes `text` to `rel` (relative to the directory), creating its parent directories.
  void write(const std::string& rel, const std::string& text) const {
    const std::filesystem::path p = std::filesystem::path(dir_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  // Writes `text` as sipline.cfg and loads it.
  Result<Settings> load(const std::string& text) const {
    write("sipline.cfg", text);
    return loadSettings(cfg());
  }
  // "<ok>" or the error message.
  static std::string messageOf(const Result<Settings>& r) {
    return r.isOk() ? "<ok>" : r.status().message();
  }

 private:
  std::string dir_;
};

}  // namespace sipline::testing
