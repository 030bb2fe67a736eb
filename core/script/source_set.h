// SourceSet: the text of every file one script compile read (the *.routes file and the files
// it includes). On a live reload the master records it while it checks the new script and
// publishes it; every process then compiles that same text, so a file edited on disk in the
// meantime can never make two processes run different scripts. Process-private.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace sipline {

class SourceSet {
 public:
  void add(const std::string& path, std::string text);
  const std::string* find(const std::string& path) const;
  bool empty() const { return files_.empty(); }
  std::size_t size() const { return files_.size(); }
  // One flat string (for shm) and back; deserialize rejects anything it did not write.
  std::string serialize() const;
  static Result<SourceSet> deserialize(std::string_view data);

 private:
  std::vector<std::pair<std::string, std::string>> files_;
};

// Reads a routing-script source file: from the SourceSet being replayed, if any (a process
// compiling a reloaded script); otherwise from disk, noting it in the set being recorded.
Result<std::string> readScriptSource(const std::string& path);

// While alive, readScriptSource() records every file it reads from disk into `into`.
class ScopedSourceRecording {
 public:
  explicit ScopedSourceRecording(SourceSet& into);
  ~ScopedSourceRecording();
  ScopedSourceRecording(const ScopedSourceRecording&) = delete;
  ScopedSourceRecording& operator=(const ScopedSourceRecording&) = delete;
};

// Whether readScriptSource() serves a replayed SourceSet now.
bool scriptSourcesReplaying();

// While alive, readScriptSource() serves files from `from` only.
class ScopedSourceReplay {
 public:
  explicit ScopedSourceReplay(const SourceSet& from);
  ~ScopedSourceReplay();
  ScopedSourceReplay(const ScopedSourceReplay&) = delete;
  ScopedSourceReplay& operator=(const ScopedSourceReplay&) = delete;
};

// Whether the script being compiled is a live reload (not the start of the server). A bind
// function that would need something only a restart can create, such as a new shared-memory
// table, refuses the reload with requireRestart().
bool scriptIsReloading();
void setScriptReloading(bool reloading);
// "<what> needs a new shared table; restart sipline to load this script".
Status requireRestart(const std::string& what);

}  // namespace sipline
