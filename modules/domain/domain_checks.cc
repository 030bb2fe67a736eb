#include "modules/domain/domain_checks.h"

namespace sipline::domain {
namespace {

int check(Api& api, const SipUri* uri) {
  if (uri == nullptr || uri->host.empty()) return kNoHost;
  return api.isLocal(uri->host) ? kLocal : kNotLocal;
}

}  // namespace

int isFromLocal(Api& api, MsgContext& ctx) {
  const NameAddr* from = ctx.msg().from();
  return check(api, from != nullptr && from->uri_ok ? &from->uri : nullptr);
}

int isUriHostLocal(Api& api, MsgContext& ctx) {
  return check(api, ctx.msg().isRequest() ? ctx.ruriParsed() : nullptr);
}

int isDomainLocal(Api& api, std::string_view domain) {
  if (domain.empty()) return kNoHost;
  return api.isLocal(domain) ? kLocal : kNotLocal;
}

}  // namespace sipline::domain
