// A list of (name, value) pairs as one string, for the profiles, values and watcher data a
// dialog keeps in shm and in its DB row: "<len>:<name><len>:<value>..." (decimal lengths), so
// names and values may hold any byte. Process-private helpers.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipline::dialog {

using KvList = std::vector<std::pair<std::string, std::string>>;

std::string encodeKv(const KvList& list);
// False (out holds what decoded so far) when the text is not such a list.
bool decodeKv(std::string_view text, KvList& out);

// The value of `name` in `list`; nullptr when absent.
const std::string* findKv(const KvList& list, std::string_view name);

}  // namespace sipline::dialog
