// The address table shared by every process: the rows of the last good load, kept in shm as
// one packed blob with a generation number. A load (master at start, the MI process on
// address_reload) publishes a whole new blob under the lock and bumps the generation: readers
// never see half a table. Each process keeps its own compiled AddressSet (regexes cannot live
// in shm) and rebuilds it from the blob only when the generation moved, so a check costs one
// atomic load and a search of private memory.
//
// AddressShm lives in the segment (shm-safe members only); AddressStore is the process-side
// handle (inherited through fork). The lock is held only to copy the blob in or out.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/shm/segment.h"
#include "modules/permissions/address_rule.h"

namespace sipline::permissions {

struct AddressShm {
  explicit AddressShm(shm::SegmentManager* sm) : blob(shm::Allocator<char>(sm)) {}
  shm::Mutex mutex;
  shm::String blob;                          // packRows() of the published rows
  std::atomic<std::uint64_t> generation{0};  // 0: nothing published yet
  static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
};

// The blob format: per row, its fields as "<decimal length>:<bytes>" in AddressRow order.
std::string packRows(const std::vector<AddressRow>& rows);
// False when the blob is damaged (never in practice: only packRows() writes it).
bool unpackRows(std::string_view blob, std::vector<AddressRow>& out);

class AddressStore {
 public:
  // Master, in init(): the shared part in `sm`.
  static Result<std::unique_ptr<AddressStore>> create(shm::SegmentManager* sm);
  ~AddressStore();

  // Replaces the shared rows (only good rows should be given: they are what address_dump
  // shows). kNoMemory when the segment is full; the old rows stay then.
  Status publish(const std::vector<AddressRow>& rows);
  // The compiled set of the latest published rows (an empty set before the first publish).
  // Rebuilt in this process only when another one published since the last call.
  std::shared_ptr<const AddressSet> current();
  std::uint64_t generation() const;

 private:
  AddressStore(shm::SegmentManager* sm, AddressShm* shm) : sm_(sm), shm_(shm) {}
  shm::SegmentManager* sm_;
  AddressShm* shm_;
  std::uint64_t local_generation_ = 0;
  std::shared_ptr<const AddressSet> local_ = std::make_shared<AddressSet>();
};

}  // namespace sipline::permissions
