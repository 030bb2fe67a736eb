#include "core/sip/record_route.h"

namespace sipline {

std::string recordRouteLines(MsgContext& ctx, const Listener& out) {
  if (!ctx.record_route.wanted) return "";
  std::string line = "Record-Route: <sip:";
  line += out.via_host;
  line += ':';
  line += std::to_string(out.via_port);
  line += ";lr";
  line += ctx.record_route.params;
  line += ">\r\n";
  return line;
}

void insertRecordRoute(MsgContext& ctx, const Listener& out) {
  std::string lines = recordRouteLines(ctx, out);
  if (!lines.empty()) ctx.msg().insertHeaderAtTop(HeaderType::kRecordRoute, std::move(lines));
}

}  // namespace sipline
