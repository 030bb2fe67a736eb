#include "core/script/source_set.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/base/strings.h"

namespace sipline {
namespace {

SourceSet* g_recording = nullptr;
const SourceSet* g_replay = nullptr;
bool g_reloading = false;

constexpr std::string_view kMagic = "sipline-sources-1\n";

}  // namespace

void SourceSet::add(const std::string& path, std::string text) {
  for (auto& f : files_) {
    if (f.first == path) {
      f.second = std::move(text);
      return;
    }
  }
  files_.emplace_back(path, std::move(text));
}

const std::string* SourceSet::find(const std::string& path) const {
  for (const auto& f : files_) {
    if (f.first == path) return &f.second;
  }
  return nullptr;
}

// Layout: magic, then per file "<path length> <text length>\n<path><text>".
std::string SourceSet::serialize() const {
  std::string out(kMagic);
  for (const auto& f : files_) {
    out += std::to_string(f.first.size()) + " " + std::to_string(f.second.size()) + "\n";
    out += f.first;
    out += f.second;
  }
  return out;
}

Result<SourceSet> SourceSet::deserialize(std::string_view data) {
  if (data.substr(0, kMagic.size()) != kMagic) {
    return Status::invalidArgument("script sources: bad snapshot header");
  }
  SourceSet set;
  std::size_t i = kMagic.size();
  while (i < data.size()) {
    std::size_t nl = data.find('\n', i);
    std::size_t sp = data.find(' ', i);
    std::int64_t plen = 0, tlen = 0;
    if (nl == std::string_view::npos || sp == std::string_view::npos || sp > nl ||
        !parseInt(data.substr(i, sp - i), plen) ||
        !parseInt(data.substr(sp + 1, nl - sp - 1), tlen) || plen < 0 || tlen < 0 ||
        static_cast<std::size_t>(plen + tlen) > data.size() - nl - 1) {
      return Status::invalidArgument("script sources: damaged snapshot");
    }
    std::size_t p = nl + 1;
    set.files_.emplace_back(std::string(data.substr(p, static_cast<std::size_t>(plen))),
                            std::string(data.substr(p + static_cast<std::size_t>(plen),
                                                    static_cast<std::size_t>(tlen))));
    i = p + static_cast<std::size_t>(plen + tlen);
  }
  return set;
}

Result<std::string> readScriptSource(const std::string& path) {
  if (g_replay != nullptr) {
    const std::string* text = g_replay->find(path);
    if (text == nullptr) {
      return Status::notFound(path + ": not part of the script the master checked");
    }
    return *text;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound(path + ": cannot read: " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::ioError(path + ": read error: " + std::strerror(errno));
  std::string text = buf.str();
  if (g_recording != nullptr) g_recording->add(path, text);
  return text;
}

ScopedSourceRecording::ScopedSourceRecording(SourceSet& into) { g_recording = &into; }
ScopedSourceRecording::~ScopedSourceRecording() { g_recording = nullptr; }
ScopedSourceReplay::ScopedSourceReplay(const SourceSet& from) { g_replay = &from; }
ScopedSourceReplay::~ScopedSourceReplay() { g_replay = nullptr; }

bool scriptSourcesReplaying() { return g_replay != nullptr; }
bool scriptIsReloading() { return g_reloading; }
void setScriptReloading(bool reloading) { g_reloading = reloading; }

Status requireRestart(const std::string& what) {
  return Status::failedPrecondition(
      what + " needs a new shared table; restart sipline to load this script");
}

}  // namespace sipline
