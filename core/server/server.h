// The master's start-up and shutdown, in the order ARCHITECTURE.md fixes: read and check the
// whole configuration (settings, modules and their params, routing script with every call
// site bound) → bind listeners and the MI socket → (daemonize) → create the segment and the
// shm tables → modules init → drop privileges → fork workers, timer and MI → supervise →
// stop children → modules destroy → remove the MI socket and pid file.
#pragma once

#include <string>

namespace sipline {

struct ServerOptions {
  std::string config = "/etc/sipline/sipline.cfg";
  bool check_only = false;  // -c: check everything, bind nothing, exit 0/1
  bool daemonize = false;   // -d
};

// Returns the process exit code.
int runServer(const ServerOptions& options);

}  // namespace sipline
