#include "core/server/script_reload.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "core/base/log.h"
#include "core/proc/process_table.h"
#include "core/stats/core_stats.h"

namespace sipline {
namespace {

ScriptReloader* g_reloader = nullptr;
ReloadShared* g_shared = nullptr;

constexpr const char* kShmName = "core.script_reload";

// `ticket`: the MI requests asked for up to the start of this reload, which it answers.
void noteResult(ReloadShared& shared, bool ok, const std::string& text, std::uint64_t ticket) {
  shm::Lock lock(shared.mutex);
  shared.last_ok = ok;
  shared.result_ticket = ticket;
  std::size_t n = std::min(text.size(), sizeof(shared.last_result) - 1);
  std::memcpy(shared.last_result, text.data(), n);
  shared.last_result[n] = '\0';
  shared.last_time.store(static_cast<std::int64_t>(std::time(nullptr)));
}

pid_t masterPid() {
  ProcessTable* table = processTable();
  if (table == nullptr) return 0;
  for (int i = 0; i < table->count(); ++i) {
    if (table->slot(i).role == ProcessRole::kMaster) return table->slot(i).pid.load();
  }
  return 0;
}

void noteMyGeneration(std::uint64_t generation) {
  if (ProcessSlot* slot = mySlot()) slot->script_generation.store(generation);
}

}  // namespace

ScriptReloader* scriptReloader() { return g_reloader; }
void setScriptReloader(ScriptReloader* r) { g_reloader = r; }
ReloadShared* reloadShared() { return g_shared; }

Result<ScriptPtr> ScriptReloader::compileFresh(SourceSet& sources) const {
  ScopedSourceRecording recording(sources);
  return loadScript(path_, commands_, services_, options_);
}

Status ScriptReloader::start(shm::Segment& segment, ScriptPtr initial, const SourceSet& sources) {
  Result<ReloadShared*> shared = segment.construct<ReloadShared>(kShmName, segment.manager());
  if (!shared.isOk()) return shared.status();
  shared_ = shared.value();
  g_shared = shared_;
  try {
    std::string flat = sources.serialize();
    shared_->sources.assign(flat.data(), flat.size());  // the text may hold NUL bytes
  } catch (const shm::bip::bad_alloc&) {
    return Status::noMemory("shared memory full while storing the routing script");
  }
  script_ = std::move(initial);
  generation_ = shared_->generation.load();
  noteMyGeneration(generation_);
  return Status::ok();
}

Status ScriptReloader::reload() {
  if (shared_ == nullptr) return Status::failedPrecondition("reload before the server started");
  std::uint64_t asked = shared_->requested.load(std::memory_order_acquire);
  SourceSet sources;
  setScriptReloading(true);
  Result<ScriptPtr> fresh = compileFresh(sources);
  setScriptReloading(false);
  if (!fresh.isOk()) {
    coreStats().script_reload_errors.inc();
    std::string why = "reload refused, the running script stays: " + fresh.status().message();
    noteResult(*shared_, false, why, asked);
    SL_ERR("%s", why.c_str());
    return Status::invalidArgument(why);
  }
  for (const std::string& w : fresh.value()->warnings()) SL_WARN("%s", w.c_str());
  std::uint64_t next = generation_ + 1;
  {
    shm::Lock lock(shared_->mutex);
    try {
      std::string flat = sources.serialize();
      shared_->sources.assign(flat.data(), flat.size());
    } catch (const shm::bip::bad_alloc&) {
      lock.unlock();
      coreStats().script_reload_errors.inc();
      std::string why = "reload refused: shared memory full while storing the routing script";
      noteResult(*shared_, false, why, asked);
      SL_ERR("%s", why.c_str());
      return Status::noMemory(why);
    }
    shared_->generation.store(next, std::memory_order_release);
  }
  // The master runs the new script too, so processes forked from now on start with it.
  script_ = std::move(fresh.value());
  generation_ = next;
  noteMyGeneration(next);
  coreStats().script_reloads.inc();
  std::string done = "routing script " + path_ + " reloaded: generation " + std::to_string(next);
  noteResult(*shared_, true, done, asked);
  SL_NOTICE("%s", done.c_str());
  return Status::ok();
}

void ScriptReloader::onHangup() {
  if (shared_ == nullptr) return;
  std::uint64_t asked = shared_->requested.load(std::memory_order_acquire);
  (void)reload();  // logged and noted for the MI inside (for the requests up to `asked`)
  shared_->answered.store(asked, std::memory_order_release);
}

void ScriptReloader::switchToPublished() {
  std::string flat;
  std::uint64_t target = 0;
  {
    shm::Lock lock(shared_->mutex);
    target = shared_->generation.load(std::memory_order_acquire);
    flat.assign(shared_->sources.data(), shared_->sources.size());
  }
  Result<SourceSet> sources = SourceSet::deserialize(flat);
  Result<ScriptPtr> fresh = sources.status();
  if (sources.isOk()) {
    ScopedSourceReplay replay(sources.value());
    setScriptReloading(true);
    SourceSet unused;
    fresh = compileFresh(unused);
    setScriptReloading(false);
  }
  // Either way this generation is settled for this process: a failure is not retried per
  // message (it would fail the same way); the next reload tries again.
  generation_ = target;
  if (!fresh.isOk()) {
    SL_ERR("reload to generation %llu failed in this process, the old script stays: %s",
           static_cast<unsigned long long>(target), fresh.status().message().c_str());
    return;
  }
  script_ = std::move(fresh.value());
  noteMyGeneration(target);
  SL_INFO("switched to routing script generation %llu", static_cast<unsigned long long>(target));
}

Result<std::string> ScriptReloader::requestReload(int timeout_ms) {
  ReloadShared* shared = g_shared;
  pid_t master = masterPid();
  if (shared == nullptr || master <= 0) return Status::unavailable("the server is not running");
  std::uint64_t ticket = shared->requested.fetch_add(1) + 1;
  if (kill(master, SIGHUP) != 0) {
    return Status::unavailable(std::string("cannot signal the master: ") + std::strerror(errno));
  }
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    if (shared->answered.load(std::memory_order_acquire) >= ticket) {
      shm::Lock lock(shared->mutex);
      // A later reload may have answered in between; its result covers this request too
      // (it started after it), so any result_ticket >= ticket is this request's answer.
      if (shared->result_ticket >= ticket) {
        std::string text = shared->last_result;
        if (!shared->last_ok) return Status::invalidArgument(text);
        return text;
      }
    }
    timespec nap{0, 10 * 1000 * 1000};
    nanosleep(&nap, nullptr);
  }
  return Status::unavailable("the master did not answer the reload within " +
                             std::to_string(timeout_ms) + " ms");
}

}  // namespace sipline
