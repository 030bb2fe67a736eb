#include "modules/dispatcher/ds_mi.h"

#include <string>

namespace sipline::dispatcher {

Result<Json> miList(Service& service) {
  Json sets = Json::array();
  std::int64_t current = -1;
  for (const DestView& v : service.snapshot()) {
    if (sets.empty() || current != v.dest.setid) {
      current = v.dest.setid;
      Json s = Json::object();
      s["id"] = v.dest.setid;
      s["destinations"] = Json::array();
      sets.push_back(std::move(s));
    }
    Json d = Json::object();
    d["uri"] = v.dest.uri;
    d["state"] = stateName(v.state);
    d["weight"] = v.dest.weight;
    d["priority"] = v.dest.priority;
    d["attrs"] = v.dest.attrs;
    d["socket"] = v.dest.socket;
    d["probe_failures"] = v.failures;
    sets.back()["destinations"].push_back(std::move(d));
  }
  Json out = Json::object();
  out["sets"] = std::move(sets);
  // True after a start without the DB until the first load: why the list is empty.
  out["waiting_for_db"] = service.loadPending();
  return out;
}

Result<Json> miReload(Service& service) {
  Result<std::size_t> n = service.reload();
  if (!n.isOk()) return n.status();
  Json out = Json::object();
  out["destinations"] = n.value();
  out["sets"] = service.list().sets.size();
  return out;
}

Result<Json> miSetState(Service& service, const MiParams& params) {
  Result<DsState> state = parseState(params.str("state"));
  if (!state.isOk()) return state.status();
  Status st = service.setState(params.integer("set"), params.str("destination"), state.value(),
                               "MI ds_set_state");
  if (!st.isOk()) return st;
  Json out = Json::object();
  out["set"] = params.integer("set");
  out["destination"] = params.str("destination");
  out["state"] = stateName(state.value());
  return out;
}

}  // namespace sipline::dispatcher
