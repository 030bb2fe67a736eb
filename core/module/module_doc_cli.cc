#include "core/module/module_doc_cli.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "core/config/settings.h"
#include "core/module/loader.h"
#include "core/module/module_doc.h"

namespace sipline {
namespace {

// The module names (file names without ".so") of `dir`, sorted so the page is stable.
Result<std::vector<std::string>> moduleNamesIn(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return Status::notFound("cannot read module directory " + dir + ": " + std::strerror(errno));
  }
  std::vector<std::string> names;
  while (const dirent* e = readdir(d)) {
    std::string file = e->d_name;
    if (file.size() > 3 && file.compare(file.size() - 3, 3, ".so") == 0) {
      names.push_back(file.substr(0, file.size() - 3));
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

// SOURCE_DATE_EPOCH (reproducible builds) when set, else today; UTC.
std::string pageDate() {
  std::time_t t = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    t = static_cast<std::time_t>(std::strtoll(epoch, nullptr, 10));
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

int printModuleDoc(const ModuleDocOptions& options) {
  std::string dir = options.dir;
  if (dir.empty() && options.config.empty()) dir = SIPLINE_MODULE_DIR;
  if (dir.empty()) {
    Result<Settings> settings = loadSettings(options.config);
    if (!settings.isOk()) {
      std::fprintf(stderr, "sipline: %s\n", settings.status().message().c_str());
      return 1;
    }
    dir = settings.value().mpath;
  }
  Result<std::vector<std::string>> names = moduleNamesIn(dir);
  if (!names.isOk()) {
    std::fprintf(stderr, "sipline: %s\n", names.status().message().c_str());
    return 2;
  }
  if (names.value().empty()) {
    std::fprintf(stderr, "sipline: no module (*.so) in %s\n", dir.c_str());
    return 1;
  }
  ModuleSet set;
  for (const std::string& name : names.value()) {
    Status st = set.loadFile(name, dir + "/" + name + ".so", "--module-doc");
    if (!st.isOk()) {
      std::fprintf(stderr, "sipline: %s\n", st.message().c_str());
      return 1;
    }
  }
  std::vector<const ModuleSpec*> specs;
  for (const auto& m : set.modules()) {
    specs.push_back(m->spec.get());
    for (const std::string& item : undocumentedItems(*m->spec)) {
      std::fprintf(stderr, "sipline: warning: %s (%s)\n", item.c_str(), m->path.c_str());
    }
  }
  const std::string page =
      moduleManPage(specs, ManPageInfo{pageDate(), "sipline " SIPLINE_VERSION});
  std::fwrite(page.data(), 1, page.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace sipline
