// The dialog service other modules use ("dialog", Services): follow a call from its INVITE to
// its end. acc writes its CDRs from here: one record per call with the INVITE time, the answer
// time and who ended it. A watcher's data lives with the dialog in shared memory and in the
// dialog table (db_mode), so a call that outlives a restart still reports its end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace sipline {
class MsgContext;
}

namespace sipline::dialog {

enum class EndedBy : std::uint8_t {
  kNone,        // not answered: failed, canceled or timed out before a 2xx (see DialogEnd.code)
  kCaller,      // BYE from the caller (From tag of the INVITE)
  kCallee,      // BYE from the callee
  kTimeout,     // the dialog's timeout ($DLG_timeout, default_timeout) expired
  kManagement,  // MI dlg_end_dlg
  kShutdown,    // the server stopped without persistence: the call's fate is unknown
};
// "caller", "callee", "timeout", "management", "shutdown" ("" for kNone).
const char* endedByName(EndedBy by);

// Everything about a call that has ended (the views die when the callback returns).
struct DialogEnd {
  std::string_view call_id;
  std::string_view from_tag;
  std::string_view to_tag;  // the callee's tag ("" when never answered)
  std::string_view from_uri;
  std::string_view to_uri;
  std::string_view ruri;         // the INVITE's request-URI as received
  std::int64_t created_ms = 0;   // unix ms: the INVITE was seen
  std::int64_t answered_ms = 0;  // unix ms: the first 2xx went upstream; 0 never answered
  std::int64_t ended_ms = 0;     // unix ms: the BYE was seen, the timeout fired, ...
  int code = 0;                  // the INVITE's final reply code (0 none yet)
  std::string_view reason;       // its reason phrase
  EndedBy ended_by = EndedBy::kNone;
  std::string_view data;  // what the watcher gave to watch()
};

// Registered before fork. onEnd() runs once per watched dialog, in whichever process ends it
// (a worker on BYE or failure, the timer process on timeout, the MI process): keep it short
// and never block.
class DialogWatcher {
 public:
  virtual ~DialogWatcher() = default;
  virtual void onEnd(const DialogEnd& end) = 0;
};

class Api {
 public:
  virtual ~Api() = default;
  // Before fork (init()). `name` identifies the watcher across restarts (persisted dialogs).
  virtual Status registerWatcher(const std::string& name, DialogWatcher* watcher) = 0;
  // Request route, initial INVITE: follow the dialog of ctx's request, creating it (as
  // create_dialog() without flags) when the script did not. `data` (text, no NUL) comes back
  // in onEnd(). kFailedPrecondition for a request that is not an initial INVITE.
  virtual Status watch(MsgContext& ctx, const std::string& name, std::string data) = 0;
};

}  // namespace sipline::dialog
