#include "modules/acc/acc_spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/base/log.h"
#include "core/base/strings.h"

namespace sipline::acc {
namespace {

constexpr std::size_t kReadChunk = 64 << 10;  // a replay batch of 100 rows is ~60 KB

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

// flock for the life of the object: exclusive for appends and cuts, shared for reads (an
// append in progress, which may still cut a short write off, is never read).
class FileLock {
 public:
  explicit FileLock(int fd, int how = LOCK_EX) : fd_(fd) {
    while (flock(fd_, how) != 0 && errno == EINTR) {
    }
  }
  ~FileLock() { flock(fd_, LOCK_UN); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

Status writeAll(int fd, std::string_view data, ssize_t& written) {
  written = 0;
  while (static_cast<std::size_t>(written) < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::ioError(std::strerror(n < 0 ? errno : ENOSPC));
    written += n;
  }
  return Status::ok();
}

Status fsyncDir(const std::string& dir) {
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return Status::ioError(errnoText(dir));
  int rc = ::fsync(d);
  ::close(d);
  return rc == 0 ? Status::ok() : Status::ioError(errnoText("fsync " + dir));
}

}  // namespace

Spool::~Spool() {
  if (fd_ >= 0 && fd_pid_ == getpid()) ::close(fd_);
}

Status Spool::openFd() {
  if (fd_ >= 0 && fd_pid_ == getpid()) return Status::ok();
  fd_ = ::open(spoolPath().c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) return Status::ioError(errnoText("acc: spool file " + spoolPath()));
  fd_pid_ = getpid();
  return Status::ok();
}

Status Spool::recover(const std::string& dir) {
  dir_ = dir;
  struct stat st {};
  // The last level is made here (the package makes /var/lib/sipline, not its acc/): a typo
  // further up still stops the start.
  if (::stat(dir.c_str(), &st) != 0 && errno == ENOENT && ::mkdir(dir.c_str(), 0750) == 0) {
    SL_NOTICE("acc: created the spool directory %s", dir.c_str());
  }
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::invalidArgument("acc: spool_dir " + dir +
                                   " does not exist or is not a directory; create it, writable "
                                   "by the server's user");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Status::invalidArgument("acc: spool_dir " + dir + " is not writable by this user");
  }
  Status s = openFd();
  if (!s.isOk()) return s;
  // The position: a missing or unreadable file means nothing was replayed yet.
  pos_ = 0;
  int pf = ::open(positionPath().c_str(), O_RDONLY | O_CLOEXEC);
  if (pf >= 0) {
    char buf[32] = {};
    ssize_t n = ::read(pf, buf, sizeof buf - 1);
    ::close(pf);
    std::int64_t v = 0;
    if (n > 0 && parseInt(trim(std::string_view(buf, n)), v) && v >= 0) {
      pos_ = static_cast<std::uint64_t>(v);
    } else {
      SL_WARN(
          "acc: %s is unreadable; replaying %s from its start (rows the DB has are skipped "
          "by their acc_key)",
          positionPath().c_str(), spoolPath().c_str());
    }
  }
  FileLock lock(fd_);
  struct stat fs {};
  if (::fstat(fd_, &fs) != 0) return Status::ioError(errnoText("acc: " + spoolPath()));
  auto size = static_cast<std::uint64_t>(fs.st_size);
  if (pos_ > size) {
    SL_WARN("acc: spool position %llu is past the end of %s (%llu bytes); replaying it all",
            static_cast<unsigned long long>(pos_), spoolPath().c_str(),
            static_cast<unsigned long long>(size));
    pos_ = 0;
  }
  // A torn last line (a crash in the middle of a write): cut it off, keep what is before.
  return cutTornTailLocked(size, 0);
}

Status Spool::cutTornTailLocked(std::uint64_t size, std::uint64_t floor) {
  if (size <= floor) return Status::ok();
  std::uint64_t at = size;
  std::uint64_t keep = floor;
  while (at > floor) {
    std::uint64_t from = at - floor > 4096 ? at - 4096 : floor;
    std::string chunk(at - from, '\0');
    if (::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(from)) !=
        static_cast<ssize_t>(chunk.size())) {
      return Status::ioError(errnoText("acc: reading " + spoolPath()));
    }
    std::size_t nl = chunk.rfind('\n');
    if (nl != std::string::npos) {
      keep = from + nl + 1;
      break;
    }
    at = from;
  }
  if (keep == size) return Status::ok();
  SL_ERR(
      "acc: %s ends in a torn line (%llu bytes, a writer that died while appending?); it is "
      "cut off, the %llu bytes before it are kept",
      spoolPath().c_str(), static_cast<unsigned long long>(size - keep),
      static_cast<unsigned long long>(keep));
  if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0 || ::fsync(fd_) != 0) {
    return Status::ioError(errnoText("acc: cutting the torn line of " + spoolPath()));
  }
  if (pos_ > keep) pos_ = keep;
  return Status::ok();
}

Status Spool::append(std::string_view lines) {
  Status s = openFd();
  if (!s.isOk()) return s;
  FileLock lock(fd_);
  struct stat fs {};
  if (::fstat(fd_, &fs) != 0) return Status::ioError(errnoText("acc: " + spoolPath()));
  if (fs.st_size > 0) {
    // The remains of a process that died while appending would glue onto these lines and
    // make them unreadable: cut them off first.
    char last = '\n';
    if (::pread(fd_, &last, 1, fs.st_size - 1) == 1 && last != '\n') {
      Status c = cutTornTailLocked(static_cast<std::uint64_t>(fs.st_size), 0);
      if (!c.isOk()) return c;
      if (::fstat(fd_, &fs) != 0) return Status::ioError(errnoText("acc: " + spoolPath()));
    }
  }
  ssize_t written = 0;
  Status w = writeAll(fd_, lines, written);
  if (!w.isOk()) {
    // Never leave half a line for the next append to run into.
    if (written > 0 && ::ftruncate(fd_, fs.st_size) != 0) {
      SL_ERR("acc: cannot cut a short write off %s: %s", spoolPath().c_str(), std::strerror(errno));
    }
    return Status::ioError("acc: appending to " + spoolPath() + ": " + w.message());
  }
  if (::fdatasync(fd_) != 0) return Status::ioError(errnoText("acc: fsync " + spoolPath()));
  return Status::ok();
}

std::int64_t Spool::pendingBytes() {
  if (!openFd().isOk()) return -1;
  struct stat fs {};
  if (::fstat(fd_, &fs) != 0) return -1;
  auto size = static_cast<std::uint64_t>(fs.st_size);
  return size > pos_ ? static_cast<std::int64_t>(size - pos_) : 0;
}

std::uint64_t Spool::countPendingLines() {
  std::uint64_t n = 0;
  if (!openFd().isOk()) return 0;
  std::string chunk(kReadChunk, '\0');
  std::uint64_t at = pos_;
  while (true) {
    ssize_t got = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(at));
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; ++i) n += chunk[i] == '\n';
    at += static_cast<std::uint64_t>(got);
  }
  return n;
}

Result<SpoolBatch> Spool::read(std::size_t max_lines) {
  Status s = openFd();
  if (!s.isOk()) return s;
  SpoolBatch batch;
  std::uint64_t size = 0;
  {
    FileLock lock(fd_, LOCK_SH);
    struct stat fs {};
    if (::fstat(fd_, &fs) != 0) return Status::ioError(errnoText("acc: " + spoolPath()));
    size = static_cast<std::uint64_t>(fs.st_size);
    if (pos_ > size) {
      // Only an outside hand shrinks the file below the position (appends only grow it, a
      // cut short write ends where it began).
      SL_WARN("acc: spool position %llu is past the end of %s (%llu bytes); going on from its end",
              static_cast<unsigned long long>(pos_), spoolPath().c_str(),
              static_cast<unsigned long long>(size));
      Status p = persistPosition(size);
      if (!p.isOk()) return p;
      pos_ = size;
    }
    batch.end = pos_;
    std::string buf;
    std::uint64_t at = pos_;
    while (batch.lines.size() < max_lines && at < size) {
      std::string chunk(std::min<std::uint64_t>(kReadChunk, size - at), '\0');
      ssize_t got = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(at));
      if (got < 0) return Status::ioError(errnoText("acc: reading " + spoolPath()));
      if (got == 0) break;
      chunk.resize(static_cast<std::size_t>(got));
      at += static_cast<std::uint64_t>(got);
      buf += chunk;
      std::size_t start = 0;
      while (batch.lines.size() < max_lines) {
        std::size_t nl = buf.find('\n', start);
        if (nl == std::string::npos) break;
        batch.lines.emplace_back(buf, start, nl - start);
        batch.end += nl + 1 - start;
        batch.ends.push_back(batch.end);
        start = nl + 1;
      }
      buf.erase(0, start);
      if (buf.size() > (16u << 20)) {
        return Status::ioError("acc: " + spoolPath() + " has a line longer than 16 MB");
      }
    }
  }
  if (batch.lines.empty() && size > pos_) {
    // Bytes without a '\n' after the position, seen under the shared lock, so no append was
    // in progress: the remains of a process that died while appending. If they are still the
    // end of the file under the exclusive lock, they never become a line: cut them off, or
    // the replay (and every record behind it) would wait for them forever.
    FileLock lock(fd_);
    struct stat fs {};
    if (::fstat(fd_, &fs) != 0) return Status::ioError(errnoText("acc: " + spoolPath()));
    if (static_cast<std::uint64_t>(fs.st_size) == size) {
      Status c = cutTornTailLocked(size, pos_);
      if (!c.isOk()) return c;
    }
  }
  return batch;
}

Status Spool::persistPosition(std::uint64_t offset) {
  std::string tmp = positionPath() + ".tmp";
  int f = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (f < 0) return Status::ioError(errnoText("acc: " + tmp));
  std::string text = std::to_string(offset) + "\n";
  ssize_t written = 0;
  Status w = writeAll(f, text, written);
  if (w.isOk() && ::fsync(f) != 0) w = Status::ioError(errnoText("fsync " + tmp));
  ::close(f);
  if (!w.isOk()) return w.withPrefix("acc: " + tmp);
  if (::rename(tmp.c_str(), positionPath().c_str()) != 0) {
    return Status::ioError(errnoText("acc: rename " + tmp));
  }
  return fsyncDir(dir_);
}

Status Spool::advance(std::uint64_t offset) {
  Status s = persistPosition(offset);
  if (s.isOk()) pos_ = offset;
  return s;
}

Status Spool::compactIfDone() {
  Status s = openFd();
  if (!s.isOk()) return s;
  FileLock lock(fd_);
  struct stat fs {};
  if (::fstat(fd_, &fs) != 0) return Status::ioError(errnoText("acc: " + spoolPath()));
  if (fs.st_size == 0 || static_cast<std::uint64_t>(fs.st_size) != pos_) return Status::ok();
  s = persistPosition(0);
  if (!s.isOk()) return s;
  pos_ = 0;
  if (::ftruncate(fd_, 0) != 0 || ::fsync(fd_) != 0) {
    return Status::ioError(errnoText("acc: emptying " + spoolPath()));
  }
  return Status::ok();
}

Status Spool::reject(std::string_view line) {
  std::string path = dir_ + "/acc.rejected";
  int f = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (f < 0) return Status::ioError(errnoText("acc: " + path));
  std::string text(line);
  if (text.empty() || text.back() != '\n') text += '\n';
  ssize_t written = 0;
  Status w = writeAll(f, text, written);
  if (w.isOk() && ::fdatasync(f) != 0) w = Status::ioError(errnoText("fsync " + path));
  ::close(f);
  return w;
}

}  // namespace sipline::acc
