// The tables a module serves, by the names the routing script gives them (registrar's
// save("location"), auth_db's www_authorize(realm, "subscriber"), ...). A name is registered
// when the script is compiled; the module builds each table's SQL (and shm) at start and then
// freezes the set, so a name first seen later (a script reload naming a new table) is a clear
// error instead of a table without statements. T is built from the name (T(name, args...))
// and exposes name(); a plain std::string is its own name.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace sipline::db {

template <class T>
class NamedTables {
 public:
  using List = std::vector<std::unique_ptr<T>>;

  // `module` prefixes the error a late name gets ("usrloc: table 'x' was not used ...").
  explicit NamedTables(std::string module) : module_(std::move(module)) {}

  T* find(std::string_view name) const {
    for (const auto& t : tables_) {
      if (nameOf(*t) == name) return t.get();
    }
    return nullptr;
  }

  // The table `name`: the known one, or a new T(name, args...) while not frozen. The caller
  // checks that `name` is an acceptable SQL name first.
  template <class... Args>
  Result<T*> get(std::string_view name, Args&&... args) {
    if (T* t = find(name)) return t;
    if (frozen_) {
      return Status::failedPrecondition(module_ + ": table '" + std::string(name) +
                                        "' was not used when the server started; a new table "
                                        "needs a restart");
    }
    tables_.push_back(std::make_unique<T>(std::string(name), std::forward<Args>(args)...));
    return tables_.back().get();
  }

  // From now on get() only finds: the module has built what each table needs.
  void freeze() { frozen_ = true; }
  bool frozen() const { return frozen_; }

  const List& all() const { return tables_; }
  bool empty() const { return tables_.empty(); }
  std::size_t size() const { return tables_.size(); }
  T* operator[](std::size_t i) const { return tables_[i].get(); }
  typename List::const_iterator begin() const { return tables_.begin(); }
  typename List::const_iterator end() const { return tables_.end(); }

 private:
  static std::string_view nameOf(const T& t) {
    if constexpr (std::is_convertible_v<const T&, std::string_view>) {
      return t;
    } else {
      return t.name();
    }
  }

  std::string module_;
  List tables_;
  bool frozen_ = false;
};

}  // namespace sipline::db
