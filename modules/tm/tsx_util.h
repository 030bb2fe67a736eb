// Small helpers the tm sources share: shm strings as views and back, and the listener a
// transaction or branch stored by index.
#pragma once

#include <string_view>
#include <vector>

#include "core/shm/segment.h"
#include "core/transport/listener.h"

namespace sipline::tm {

inline std::string_view view(const shm::String& s) { return std::string_view(s.data(), s.size()); }

// May throw boost::interprocess::bad_alloc: call inside shm::guardAlloc().
inline void assign(shm::String& s, std::string_view v) { s.assign(v.data(), v.size()); }

// nullptr for -1 or an index this process does not have.
inline const Listener* listenerAt(int index) {
  const std::vector<Listener>& all = listeners().all();
  if (index < 0 || static_cast<std::size_t>(index) >= all.size()) return nullptr;
  return &all[static_cast<std::size_t>(index)];
}

}  // namespace sipline::tm
