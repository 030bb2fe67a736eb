// MI commands of the dialog module: dlg_list, dlg_end_dlg, profile_get_size. Handlers only
// turn Service calls into JSON; they run in the MI process.
#pragma once

#include "core/base/status.h"
#include "core/mi/json.h"
#include "core/mi/mi_registry.h"
#include "modules/dialog/dialog.h"

namespace sipline::dialog {

// {"count": n, "dialogs": [{id, state, callid, from_uri, from_tag, to_uri, to_tag, created,
// answered, timeout, lifetime, flags, profiles: [{name, value}], values: {name: value}}]}.
// miList: every dialog, or those of one Call-ID (param "callid").
Json dialogJson(const DialogInfo& d, std::int64_t now_ms);
Result<Json> miList(Service& service, const MiParams& params);
Result<Json> miEnd(Service& service, const MiParams& params);
Result<Json> miProfileSize(Service& service, const MiParams& params);

}  // namespace sipline::dialog
