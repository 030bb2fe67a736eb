// Run-time log levels of the server's processes (the MI `log_level`): every process logs at
// the level in its process-table slot, so writing a slot changes what that process logs from
// its next log call on. Setting every process also sets the table's default, the level a
// process started later begins with. Writes are single relaxed atomic stores (each slot's
// level has one word); callable from any process that maps the table. Process-private code.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/log.h"
#include "core/base/status.h"
#include "core/proc/process_table.h"

namespace sipline {

// Slot numbers of the processes that have a pid, in table order.
std::vector<int> liveProcessSlots(ProcessTable& table);

// Sets every live process and the table default to `level`; returns the slots it set.
std::vector<int> setEveryLogLevel(ProcessTable& table, LogLevel level);

// Sets the process `pid` to `level`; its slot number, or notFound naming the pid.
Result<int> setProcessLogLevel(ProcessTable& table, std::int32_t pid, LogLevel level);

// The level the process in `slot` logs at.
LogLevel slotLogLevel(const ProcessSlot& slot);

}  // namespace sipline
