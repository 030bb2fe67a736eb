// The core's own script commands, one topic per file: core_commands_message.cc (xlog,
// is_method, has_totag, forward), core_commands_flags.cc (message and branch flags),
// core_commands_branch.cc (append_branch, $du tests), core_commands_uri.cc (request-URI
// rewriting) and core_commands_socket.cc (sockets, advertised address, rport).
// registerCoreCommands() (script.h) adds them all. Private to core/script and its tests.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/status.h"
#include "core/script/script_api.h"

namespace sipline {

class Listeners;

// Route types that carry a SIP message (not startup_route or timer_route).
inline constexpr std::uint32_t kCoreMsgRoutes =
    kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute | kErrorRoute | kLocalRoute;
// Route types that work on the request's destination set (request-URI, $du, branches).
inline constexpr std::uint32_t kCoreDestRoutes = kRequestRoute | kFailureRoute | kBranchRoute;

void addMessageCommands(std::vector<CommandSpec>& specs);
void addFlagCommands(std::vector<CommandSpec>& specs);
void addBranchCommands(std::vector<CommandSpec>& specs);
void addUriCommands(std::vector<CommandSpec>& specs);
void addSocketCommands(std::vector<CommandSpec>& specs);

// force_send_socket() bound against a socket set (the server passes listeners(); tests a
// set of their own). The set must outlive the call.
Result<BoundCallPtr> bindForceSendSocket(const ScriptArgs& args, BindContext& bc,
                                         const Listeners& set);

}  // namespace sipline
