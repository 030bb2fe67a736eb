// The durable spool: rows the DB could not take (down, slow, a missing column) or the queue
// had no room for, kept in spool_dir until the writer replays them, in order.
//
//   <spool_dir>/acc.spool      the rows, one line each (acc_record.h), appended
//   <spool_dir>/acc.spool.pos  the byte offset up to which rows are in the DB (decimal)
//   <spool_dir>/acc.rejected   rows the DB refused as bad data (kept for an operator)
//
// Appends come from the writer and, when the queue is full, from workers: each append takes
// flock(LOCK_EX) on its own descriptor, writes its lines with one write() (O_APPEND), cuts a
// short write back off, and fsyncs before the lock is released, so a line is either whole
// and on disk or absent. Only the writer reads and moves the position; it persists it
// (temporary file, fsync, rename) after each replayed batch, and empties the file (under
// the lock) once everything is replayed. A crash can leave a torn last line: recover() (the
// master, before fork), read() (while the server runs) and the next append() cut it off with
// a log line and keep every line before it.
//
// Process-private object; each process opens its own descriptors (an inherited descriptor
// would share the flock with its parent).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::acc {

struct SpoolBatch {
  std::vector<std::string> lines;   // complete lines, without '\n'
  std::vector<std::uint64_t> ends;  // the offset after each line
  std::uint64_t end = 0;            // the offset after the last line returned
};

class Spool {
 public:
  Spool() = default;
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Master, before fork: checks that `dir` exists and is writable, creates the files, cuts a
  // torn last line off and reads the position. Errors name the directory.
  Status recover(const std::string& dir);
  void setDirForTest(const std::string& dir) { dir_ = dir; }

  // Any process: appends whole lines (each ending in '\n'), fsync'd, after cutting off a torn
  // tail a dead appender left. kIoError when nothing could be written (nothing of it is left
  // in the file).
  Status append(std::string_view lines);
  // Writer: up to `max_lines` complete lines after the position, read under a shared flock
  // (an append in progress, which may still cut its short write off, is never read). A tail
  // without '\n' that is still the end of the file under the exclusive lock (a process died
  // while appending) is cut off with a log line.
  Result<SpoolBatch> read(std::size_t max_lines);
  // Writer: the lines up to `offset` are in the DB; persists the new position.
  Status advance(std::uint64_t offset);
  // Writer: empties the file when everything in it is replayed (position 0 persisted first,
  // so a crash in between replays rows the DB already has, never loses one).
  Status compactIfDone();
  // Writer: keeps a row the DB refused in acc.rejected.
  Status reject(std::string_view line);

  std::uint64_t position() const { return pos_; }
  // Bytes after the position (0 when there is nothing to replay); -1 on an error.
  std::int64_t pendingBytes();
  // Lines after the position (at start, for the gauge).
  std::uint64_t countPendingLines();
  const std::string& dir() const { return dir_; }
  std::string spoolPath() const { return dir_ + "/acc.spool"; }
  std::string positionPath() const { return dir_ + "/acc.spool.pos"; }

 private:
  Status openFd();
  Status persistPosition(std::uint64_t offset);
  // Under the exclusive lock: cuts bytes after the last '\n' at or after `floor` off a file of
  // `size` bytes (logged).
  Status cutTornTailLocked(std::uint64_t size, std::uint64_t floor);
  std::string dir_;
  int fd_ = -1;       // O_RDWR | O_APPEND, opened by this process
  pid_t fd_pid_ = 0;  // the process that opened fd_
  std::uint64_t pos_ = 0;
};

}  // namespace sipline::acc
