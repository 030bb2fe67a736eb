// Live reload of the routing script (SIGHUP, or `reload_routes` on the management socket).
//
// The master reads and compiles the routes file again, with every module command bound and
// checked. Only when that succeeds does it publish the text it compiled (the SourceSet) in shm
// with a new generation number. Every process notices the number before its next message,
// compiles the same text into its own memory and switches to it between two messages; the old
// script is freed then. A process forked later inherits the master's current script. When
// the new script does not compile, the old one keeps running everywhere and the error
// (file:line:col) is logged and returned to the MI caller. Compiled scripts never live in shm.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/script/command_registry.h"
#include "core/script/compiler.h"
#include "core/script/script.h"
#include "core/script/source_set.h"
#include "core/shm/segment.h"

namespace sipline {

class Services;

// What the master and the other processes share about reloads (in shm).
struct ReloadShared {
  explicit ReloadShared(shm::SegmentManager* sm) : sources(sm) {}
  shm::Mutex mutex;                          // guards sources and last_result
  std::atomic<std::uint64_t> generation{1};  // of the script every process should run
  shm::String sources;                       // SourceSet::serialize() of that generation
  std::atomic<std::uint64_t> requested{0};   // reloads asked for over the MI
  std::atomic<std::uint64_t> answered{0};    // requests the master has answered
  std::atomic<std::int64_t> last_time{0};    // unix time of the last attempt
  bool last_ok = true;
  std::uint64_t result_ticket = 0;  // the last MI request the last result answers
  char last_result[2048] = {};      // the last attempt's result, for the MI caller
};

class ScriptReloader {
 public:
  // `options`: the defines and module flags from the settings (not reloaded).
  ScriptReloader(std::string path, const CommandRegistry& commands, Services* services,
                 ScriptOptions options = ScriptOptions())
      : path_(std::move(path)),
        commands_(commands),
        services_(services),
        options_(std::move(options)) {}

  // Reads and compiles the routes file, recording what it read. Master start and reload.
  Result<ScriptPtr> compileFresh(SourceSet& sources) const;

  // Master, before fork: keeps the first script and puts the shared state in shm.
  Status start(shm::Segment& segment, ScriptPtr initial, const SourceSet& sources);

  // Master: compile and check again; publish on success. The error carries file:line:col.
  Status reload();

  // Any process, before each message: the script to run. Switches to a newer generation
  // first (compiled privately from the published text); on a failure it keeps the old one.
  const Script* current() {
    if (shared_ != nullptr && shared_->generation.load(std::memory_order_acquire) != generation_) {
      switchToPublished();
    }
    return script_.get();
  }
  std::uint64_t generation() const { return generation_; }
  // Tests: makes current() recompile from the published text, as a process behind would.
  void forgetGenerationForTest() { generation_ = 0; }

  // Master, on SIGHUP: reloads and answers the MI requests that were pending.
  void onHangup();

  // MI process: asks the master for a reload (SIGHUP) and waits for its answer.
  static Result<std::string> requestReload(int timeout_ms);

 private:
  void switchToPublished();

  std::string path_;
  const CommandRegistry& commands_;
  Services* services_;
  ScriptOptions options_;
  ScriptPtr script_;
  std::uint64_t generation_ = 0;
  ReloadShared* shared_ = nullptr;
};

// The process's reloader (set by the master before fork), for the MI command and signals.
ScriptReloader* scriptReloader();
void setScriptReloader(ScriptReloader* r);
// The shared reload state of this server, found in the segment; nullptr before start().
ReloadShared* reloadShared();

}  // namespace sipline
