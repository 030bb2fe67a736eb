#include "tools/siplinectl/run_util.h"

namespace sipline::ctl {

int fail(RunContext& ctx, const Invocation& inv, int code, const std::string& message) {
  ctx.err << "siplinectl: " << commandName(inv.command) << ": " << message << "\n";
  if (inv.json) ctx.out << errorJson(commandName(inv.command), code, message).dump(2) << "\n";
  return code;
}

std::string oneLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == '\n' || c == '\t' || c == '\r' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string aboutTarget(const std::string& what, const TargetInfo& info, const Status& st) {
  const std::string message = oneLine(st.message());
  if (message.find(info.url_text) != std::string::npos) return message;
  return what + " " + info.url_text + ": " + message;
}

}  // namespace sipline::ctl
