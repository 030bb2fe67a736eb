#include "modules/permissions/address_store.h"

#include <charconv>

#include "core/base/log.h"

namespace sipline::permissions {
namespace {

void putField(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out.push_back(':');
  out.append(v);
}

bool getField(std::string_view& in, std::string& out) {
  std::size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(in.data(), in.data() + colon, n);
  if (ec != std::errc() || p != in.data() + colon || n > in.size() - colon - 1) return false;
  out.assign(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n);
  return true;
}

bool getInt(std::string_view& in, std::int64_t& out) {
  std::string text;
  if (!getField(in, text)) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

}  // namespace

std::string packRows(const std::vector<AddressRow>& rows) {
  std::string out;
  for (const AddressRow& r : rows) {
    putField(out, std::to_string(r.id));
    putField(out, std::to_string(r.grp));
    putField(out, r.ip);
    putField(out, std::to_string(r.mask));
    putField(out, std::to_string(r.port));
    putField(out, r.proto);
    putField(out, r.pattern);
    putField(out, r.context_info);
  }
  return out;
}

bool unpackRows(std::string_view in, std::vector<AddressRow>& out) {
  out.clear();
  while (!in.empty()) {
    AddressRow r;
    if (!getInt(in, r.id) || !getInt(in, r.grp) || !getField(in, r.ip) || !getInt(in, r.mask) ||
        !getInt(in, r.port) || !getField(in, r.proto) || !getField(in, r.pattern) ||
        !getField(in, r.context_info)) {
      return false;
    }
    out.push_back(std::move(r));
  }
  return true;
}

Result<std::unique_ptr<AddressStore>> AddressStore::create(shm::SegmentManager* sm) {
  AddressShm* shm = nullptr;
  Status st =
      shm::guardAlloc("permissions address table", [&] { shm = shm::create<AddressShm>(sm, sm); });
  if (!st.isOk()) return st;
  return std::unique_ptr<AddressStore>(new AddressStore(sm, shm));
}

AddressStore::~AddressStore() = default;  // the shm part lives as long as the segment

Status AddressStore::publish(const std::vector<AddressRow>& rows) {
  std::string packed = packRows(rows);
  shm::Lock lock(shm_->mutex);
  Status st = shm::guardAlloc("permissions address table", [&] {
    shm::String fresh(packed.data(), packed.size(), shm::Allocator<char>(sm_));
    shm_->blob.swap(fresh);
  });
  if (!st.isOk()) return st;
  shm_->generation.fetch_add(1, std::memory_order_release);
  return Status::ok();
}

std::uint64_t AddressStore::generation() const {
  return shm_->generation.load(std::memory_order_acquire);
}

std::shared_ptr<const AddressSet> AddressStore::current() {
  if (generation() == local_generation_) return local_;
  std::string copy;
  std::uint64_t gen = 0;
  {
    shm::Lock lock(shm_->mutex);
    copy.assign(shm_->blob.data(), shm_->blob.size());
    gen = shm_->generation.load(std::memory_order_acquire);
  }
  std::vector<AddressRow> rows;
  if (!unpackRows(copy, rows)) {
    SL_ERR("permissions: the shared address table is damaged; keeping the previous one");
    local_generation_ = gen;
    return local_;
  }
  local_ = AddressSet::build(rows);
  local_generation_ = gen;
  return local_;
}

}  // namespace sipline::permissions
