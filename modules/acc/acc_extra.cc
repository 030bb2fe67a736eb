#include "modules/acc/acc_extra.h"

#include "core/base/strings.h"
#include "core/db/schema.h"
#include "core/script/value.h"
#include "modules/acc/acc_record.h"

namespace sipline::acc {

bool isBaseColumn(std::string_view name) {
  static const char* const kBase[] = {
      "id",         "acc_key", "method",   "from_tag",    "to_tag",    "callid",  "sip_code",
      "sip_reason", "time",    "duration", "ms_duration", "setuptime", "created", "ended_by"};
  for (const char* b : kBase) {
    if (name == b) return true;
  }
  return false;
}

Result<std::vector<Extra>> parseExtras(std::string_view text, std::string_view param) {
  std::vector<Extra> out;
  std::string where(param);
  std::size_t at = 0;
  while (at <= text.size()) {
    std::size_t semi = text.find(';', at);
    std::string_view item =
        trim(text.substr(at, semi == std::string_view::npos ? semi : semi - at));
    at = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::invalidArgument("acc: " + where + ": \"" + std::string(item) +
                                     "\" is not name=$pvar");
    }
    Extra e;
    e.name = std::string(trim(item.substr(0, eq)));
    std::string_view pv = trim(item.substr(eq + 1));
    if (!db::isSqlIdentifier(e.name, true)) {
      return Status::invalidArgument("acc: " + where + ": \"" + e.name +
                                     "\" is not a column name ([a-z_][a-z0-9_]*)");
    }
    if (isBaseColumn(e.name)) {
      return Status::invalidArgument("acc: " + where + ": \"" + e.name +
                                     "\" is a column acc fills itself");
    }
    for (const Extra& prev : out) {
      if (prev.name == e.name) {
        return Status::invalidArgument("acc: " + where + ": \"" + e.name + "\" given twice");
      }
    }
    if (pv.size() < 2 || pv[0] != '$') {
      return Status::invalidArgument("acc: " + where + ": the value of \"" + e.name +
                                     "\" must be a pseudo-variable such as $fU, got \"" +
                                     std::string(pv) + "\"");
    }
    Result<script::PvarRef> ref = script::resolvePvar(pv.substr(1));
    if (!ref.isOk()) {
      return Status::invalidArgument("acc: " + where + ": " + e.name + "=" + std::string(pv) +
                                     ": " + ref.status().message());
    }
    e.ref = std::move(ref).value();
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::optional<std::string>> evalExtras(const std::vector<Extra>& extras,
                                                   MsgContext& ctx) {
  std::vector<std::optional<std::string>> out;
  out.reserve(extras.size());
  for (const Extra& e : extras) {
    script::Value v = e.ref.get(ctx);
    if (v.isNull()) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(v.toString());
    }
  }
  return out;
}

}  // namespace sipline::acc
