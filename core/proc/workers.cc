#include "core/proc/workers.h"

#include <malloc.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/proc/process_load.h"
#include "core/proc/process_table.h"
#include "core/proc/supervisor.h"

namespace sipline {
int runUdpWorker(const Listener& listener, MessageProcessor& processor,
                 const std::function<void()>& before_message) {
  // Up to kBatch queued datagrams per system call (recvmmsg): under load several wait at
  // once, and one call and one wake-up for them all is cheaper than one each. Each buffer
  // is one byte more than the largest datagram, so an oversized one is seen as such.
  // The call blocks until the first datagram (MSG_WAITFORONE), one system call per wake-up
  // instead of three (recv, poll, recv). SIGTERM stays blocked meanwhile; a receive timeout
  // (kStopCheck) bounds how long a stop request waits to be seen.
  constexpr std::size_t kBufSize = 65536;
  constexpr unsigned kBatch = 8;
  auto bufs = std::make_unique<char[]>((kBufSize + 1) * kBatch);
  mmsghdr msgs[kBatch];
  iovec iovs[kBatch];
  SockAddr srcs[kBatch];
  constexpr timeval kStopCheck{0, 200 * 1000};
  if (setsockopt(listener.fd, SOL_SOCKET, SO_RCVTIMEO, &kStopCheck, sizeof(kStopCheck)) != 0) {
    SL_WARN("SO_RCVTIMEO on %s: %s", listener.text.c_str(), std::strerror(errno));
  }
  SL_INFO("receiving on %s", listener.text.c_str());
  ProcessSlot* slot = mySlot();
  while (!signals::stopRequested()) {
    for (unsigned i = 0; i < kBatch; ++i) {
      iovs[i] = {bufs.get() + i * (kBufSize + 1), kBufSize};
      srcs[i].len = sizeof(srcs[i].ss);
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_name = srcs[i].sa();
      msgs[i].msg_hdr.msg_namelen = srcs[i].len;
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_len = 0;
    }
    int n = ::recvmmsg(listener.fd, msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (n > 0) {
      BusyScope busy;  // the batch, not the wait in recvmmsg
      for (int i = 0; i < n; ++i) {
        srcs[i].len = msgs[i].msg_hdr.msg_namelen;
        before_message();
        processor.onDatagram(
            listener, srcs[i],
            std::string_view(static_cast<char*>(iovs[i].iov_base), msgs[i].msg_len));
        if (slot != nullptr) slot->handled.fetch_add(1, std::memory_order_relaxed);
      }
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (slot != nullptr) {
        slot->heap_bytes.store(mallinfo2().uordblks, std::memory_order_relaxed);
      }
      // Idle for kStopCheck: let a pending SIGTERM in (only here), so it is never missed.
      signals::napMs(0);
      continue;
    }
    SL_ERR_RATELIMITED("recvmmsg on %s: %s", listener.text.c_str(), std::strerror(errno));
  }
  return 0;
}

int runTimerProcess(const std::vector<TimerSpec>& timers) {
  std::vector<std::int64_t> due(timers.size());
  std::int64_t now = monotonicMs();
  for (std::size_t i = 0; i < timers.size(); ++i) due[i] = now + timers[i].interval_ms;
  // The process loads are sampled here every kLoadSampleMs (the one 1 s tick the server has).
  constexpr std::int64_t kLoadSampleMs = 1000;
  LoadSampler load_sampler;
  std::int64_t load_due = now;
  while (!signals::stopRequested()) {
    now = monotonicMs();
    std::int64_t next = now + 1000;
    {
      BusyScope busy;  // timer work, not the wait in ppoll
      for (std::size_t i = 0; i < timers.size(); ++i) {
        if (due[i] <= now) {
          try {
            timers[i].fn();
          } catch (...) {
            SL_ERR("timer %s threw; continuing", timers[i].name.c_str());
          }
          due[i] = now + timers[i].interval_ms;
        }
        next = std::min(next, due[i]);
      }
      if (load_due <= now) {
        if (ProcessTable* table = processTable()) load_sampler.sample(*table, busyClockUs());
        load_due = now + kLoadSampleMs;
      }
      next = std::min(next, load_due);
    }
    signals::napMs(next - monotonicMs());
  }
  return 0;
}

}  // namespace sipline
