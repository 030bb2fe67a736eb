#include "modules/dialog/dlg_mi.h"

#include <charconv>
#include <ctime>

namespace sipline::dialog {
namespace {

std::int64_t unixMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// An id given as a JSON integer or as a decimal string (siplinectl passes strings).
bool idParam(const MiParams& params, std::uint64_t& id) {
  const Json& raw = params.raw("id");
  if (raw.is_number_integer()) {
    std::int64_t v = raw.get<std::int64_t>();
    if (v <= 0) return false;
    id = static_cast<std::uint64_t>(v);
    return true;
  }
  if (!raw.is_string()) return false;
  std::string text = raw.get<std::string>();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  return ec == std::errc() && end == text.data() + text.size() && id != 0;
}

}  // namespace

Json dialogJson(const DialogInfo& d, std::int64_t now_ms) {
  Json j = Json::object();
  j["id"] = std::to_string(d.id);
  j["state"] = stateName(d.state);
  j["status"] = static_cast<int>(d.state);
  j["callid"] = d.call_id;
  j["from_uri"] = d.from_uri;
  j["from_tag"] = d.from_tag;
  j["to_uri"] = d.to_uri;
  j["to_tag"] = d.to_tag;
  j["ruri"] = d.ruri;
  j["caller_contact"] = d.caller_contact;
  j["callee_contact"] = d.callee_contact;
  j["created"] = d.created_ms / 1000;
  j["answered"] = d.answered_ms / 1000;
  j["timeout"] = d.state == State::kConfirmed
                     ? std::max<std::int64_t>(0, (d.timeout_at_ms - now_ms + 999) / 1000)
                     : d.timeout_s;
  j["lifetime"] = d.answered_ms != 0 ? (now_ms - d.answered_ms) / 1000 : 0;
  j["bye_on_timeout"] = (d.flags & kByeOnTimeout) != 0;
  Json profiles = Json::array();
  KvList list;
  decodeKv(d.profiles, list);
  for (const auto& [name, value] : list) profiles.push_back({{"name", name}, {"value", value}});
  j["profiles"] = profiles;
  Json values = Json::object();
  list.clear();
  decodeKv(d.values, list);
  for (const auto& [name, value] : list) values[name] = value;
  j["values"] = values;
  return j;
}

Result<Json> miList(Service& service, const MiParams& params) {
  Json out = Json::object();
  Json dialogs = Json::array();
  std::int64_t now = unixMs();
  bool filtered = params.has("callid");
  std::string callid = params.str("callid");
  service.table().forEach([&](const DialogInfo& d) {
    if (!filtered || d.call_id == callid) dialogs.push_back(dialogJson(d, now));
  });
  out["count"] = dialogs.size();
  out["dialogs"] = std::move(dialogs);
  return out;
}

Result<Json> miEnd(Service& service, const MiParams& params) {
  std::uint64_t id = 0;
  if (!idParam(params, id)) {
    return Status::invalidArgument("id: the dialog id as dlg_list shows it (a positive number)");
  }
  Status st = service.endByManagement(id);
  if (!st.isOk()) return st;
  return Json{{"id", std::to_string(id)}, {"ended", true}};
}

Result<Json> miProfileSize(Service& service, const MiParams& params) {
  std::string name = params.str("profile");
  bool with_value = params.has("value");
  std::string value = params.str("value");
  bool has_value = false;
  Status st = service.checkProfile(name, with_value, has_value);
  if (!st.isOk()) return st;
  Json out = Json::object();
  out["profile"] = name;
  if (with_value) out["value"] = value;
  out["count"] = service.profileSize(name, value, !with_value || value.empty());
  return out;
}

}  // namespace sipline::dialog
