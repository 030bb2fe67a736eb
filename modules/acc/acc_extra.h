// Extra columns (db_extra) and syslog keys (log_extra): "col=$pv;col2=$pv", each a name and
// a pseudo-variable read from the request when the record is made. Parsed once in init();
// a bad name or pseudo-variable refuses the start. Process-private.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/script/pvar.h"

namespace sipline {
class MsgContext;
}

namespace sipline::acc {

struct Extra {
  std::string name;
  script::PvarRef ref;
};

// `param` names the parameter in errors ("db_extra").
Result<std::vector<Extra>> parseExtras(std::string_view text, std::string_view param);

// Each extra's value on ctx (nullopt when the variable is empty/null).
std::vector<std::optional<std::string>> evalExtras(const std::vector<Extra>& extras,
                                                   MsgContext& ctx);

// Columns every record row has; an extra may not take their names.
bool isBaseColumn(std::string_view name);

}  // namespace sipline::acc
