#include "core/server/config_loader.h"

#include "core/base/log.h"
#include "core/dns/dns_stats.h"
#include "core/script/compiler.h"
#include "core/server/core_mi.h"
#include "core/stats/core_stats.h"
#include "core/stats/stats.h"
#include "core/transport/listener.h"
#include "core/transport/tcp_stats.h"

namespace sipline {

Status loadModules(const Settings& settings, LoadedConfig& out) {
  Status st = registerCoreCommands(out.commands);
  if (st.isOk()) {
    registerBuiltinMiCommands(out.mi);
    st = registerCoreMiCommands(out.mi);
  }
  if (st.isOk()) st = declareCoreStats(stats());
  if (st.isOk()) st = declareTcpStats(stats());
  if (st.isOk()) st = dns::declareStats(stats());
  if (st.isOk()) st = out.modules.loadAll(settings);
  if (st.isOk()) st = out.modules.publish(out.commands, out.mi, stats(), out.services);
  if (!st.isOk()) return st;
  Script::setMaxWhileLoops(settings.max_while_loops);
  listeners().declare(settings.sockets);  // force_send_socket() checks its socket at load
  return Status::ok();
}

Status loadModulesAndScript(const Settings& settings, LoadedConfig& out) {
  Status st = loadModules(settings, out);
  if (!st.isOk()) return st;
  Result<ScriptPtr> script = loadScript(settings, out.commands, &out.services);
  if (!script.isOk()) return script.status();
  out.script = std::move(script.value());
  for (const std::string& w : out.script->warnings()) SL_WARN("%s", w.c_str());
  return Status::ok();
}

}  // namespace sipline
