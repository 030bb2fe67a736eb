#include "modules/permissions/permissions_mi.h"

namespace sipline::permissions {

Result<Json> miAddressReload(Service& service) {
  Result<std::size_t> n = service.reload();
  if (!n.isOk()) return n.status();
  Json out = Json::object();
  out["entries"] = n.value();
  out["bad_rows"] = service.lastBadRows();  // of this load: what is still wrong in the table
  return out;
}

Result<Json> miAddressDump(Service& service, const MiParams& params, bool subnets_only) {
  std::int64_t only = params.integer("group", -1);
  if (params.has("group") && only < 0) {
    return Status::invalidArgument("group must be 0 or more");
  }
  std::shared_ptr<const AddressSet> set = service.addresses();
  Json rules = Json::array();
  for (const AddressRule& r : set->rules()) {
    if (only > 0 && r.grp != static_cast<std::uint64_t>(only)) continue;
    if (subnets_only && r.mask >= r.net.bits()) continue;
    Json j = Json::object();
    j["id"] = r.id;
    j["grp"] = r.grp;
    j["ip"] = ipText(r.net);
    j["mask"] = r.mask;
    j["port"] = r.port;
    j["proto"] = protoName(r.proto);
    j["pattern"] = r.pattern;
    j["context_info"] = r.context_info;
    rules.push_back(std::move(j));
  }
  Json out = Json::object();
  out["entries"] = rules.size();
  out["rules"] = std::move(rules);
  return out;
}

}  // namespace sipline::permissions
