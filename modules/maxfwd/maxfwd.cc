#include "modules/maxfwd/maxfwd.h"

#include <algorithm>
#include <string>

#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"

namespace sipline {

int processMaxForwards(MsgContext& ctx, std::int64_t limit, std::int64_t max_limit) {
  SipMessage& msg = ctx.msg();
  if (ctx.maxfwd_processed) return kMaxFwdDecremented;  // once per message
  int mf = msg.maxForwards();
  if (mf == -1) {
    msg.appendHeader("Max-Forwards: " + std::to_string(limit) + "\r\n");
    ctx.maxfwd_processed = true;
    return kMaxFwdAdded;
  }
  if (mf < 0 || mf > 255) return kMaxFwdBad;
  if (mf == 0) return kMaxFwdExceeded;
  std::int64_t next = mf - 1;
  if (max_limit > 0) next = std::min(next, max_limit);
  const HeaderField* h = msg.header(HeaderType::kMaxForwards);
  std::size_t offset = 0;
  if (h == nullptr || !msg.offsetOf(h->body, offset)) return kMaxFwdBad;
  msg.edits().replace(offset, h->body.size(), std::to_string(next));
  ctx.maxfwd_processed = true;
  return kMaxFwdDecremented;
}

}  // namespace sipline
