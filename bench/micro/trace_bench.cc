// Micro-benchmarks of call tracing (issue 13), per traced message:
//   TraceCapture    what a worker pays: the capture sink finds the call traced and queues the
//                   message (header encoding, queue push under its lock)
//   HepEncode       one HEPv3 packet (with the Call-ID as correlation id) into a reused buffer
//   CopyRow         one sip_trace row as COPY text (for PostgreSQL); CopyText its message part
//   WriterHepTcp    what the siptrace writer pays: pop, reorder, decode, encode and hand the
//                   packets to a TCP stream that a thread of this process drains
// Run: build/bench_micro --benchmark_filter='Trace|Hep|Copy'.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "core/base/clock.h"
#include "core/db/db_text.h"
#include "core/trace/capture.h"
#include "core/trace/hep.h"
#include "modules/siptrace/siptrace.h"

namespace sipline {
namespace {

// A 180 Ringing as a proxy relays it (about 600 bytes): the typical traced message.
const std::string kRinging =
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9;rport=5060;received=192.0.2.101\r\n"
    "Record-Route: <sip:192.0.2.1;lr;ftag=9fxced76sl>\r\n"
    "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    "CSeq: 31862 INVITE\r\n"
    "Contact: <sip:bob@192.0.2.202:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO\r\n"
    "User-Agent: Yealink SIP-T46S 66.86.0.15\r\n"
    "Content-Length: 0\r\n"
    "\r\n";
const std::string kCallId = "3848276298220188511@atlanta.example.com";

SockAddr addr(const char* ip, std::uint16_t port) {
  SockAddr a;
  SockAddr::fromNumeric(ip, port, a);
  return a;
}

// A siptrace service in private memory with the call of kRinging traced.
class TracedService {
 public:
  TracedService() {
    mem_ = mmap(nullptr, kMem, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    siptrace::Counters& k = svc_.counters();
    k.traced.bindForTest(&slots_[0]);
    k.written.bindForTest(&slots_[1]);
    k.hep_sent.bindForTest(&slots_[2]);
    k.dropped.bindForTest(&slots_[3]);
    k.db_errors.bindForTest(&slots_[4]);
    svc_.config().queue_size = 8192;                    // KB, as the load benchmark
    svc_.config().hep_destination = "tcp:127.0.0.1:9";  // required; the writer here gets its own
    if (mem_ == MAP_FAILED || siptrace::Service::memoryFor(svc_.config()) > kMem ||
        !svc_.initForTest(mem_).isOk()) {
      std::abort();
    }
    svc_.traceCall(kCallId, "bench", nullptr);
  }
  ~TracedService() { munmap(mem_, kMem); }

  void capture() {
    trace::Captured c;
    c.time_us = unixNowUs();
    c.outgoing = true;
    c.src = &proxy_;
    c.dst = &phone_;
    c.message = kRinging;
    c.call_id = kCallId;
    svc_.onCaptured(c);
  }
  siptrace::Service& svc() { return svc_; }
  std::uint64_t dropped() const { return slots_[3].load(); }

 private:
  static constexpr std::size_t kMem = 16 << 20;
  void* mem_;
  siptrace::Service svc_;
  std::atomic<std::uint64_t> slots_[5]{};
  SockAddr proxy_ = addr("192.0.2.1", 5060);
  SockAddr phone_ = addr("192.0.2.101", 5060);
};

void BM_TraceCapture(benchmark::State& state) {
  TracedService t;
  std::vector<std::string> drained;
  std::size_t queued = 0;
  for (auto _ : state) {
    t.capture();
    if (++queued == 1000) {  // emptied before it fills: a full queue would only count drops
      state.PauseTiming();
      drained.clear();
      t.svc().queue()->pop(1000, 1 << 30, drained);
      queued = 0;
      state.ResumeTiming();
    }
  }
  if (t.dropped() != 0) state.SkipWithError("messages dropped");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceCapture);

void BM_HepEncode(benchmark::State& state) {
  trace::Record r;
  r.time_us = unixNowUs();
  r.src = addr("192.0.2.1", 5060);
  r.dst = addr("192.0.2.101", 5060);
  r.message = kRinging;
  trace::HepOptions opts;
  opts.correlation_id = kCallId;
  std::string out;
  for (auto _ : state) {
    out.clear();
    trace::appendHep(r, opts, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HepEncode);

// One sip_trace row as COPY text: what the writer makes of a message for PostgreSQL (the
// fields found in the message, the addresses and time as text, the message escaped).
void BM_CopyRow(benchmark::State& state) {
  siptrace::Item item;
  item.record.time_us = unixNowUs();
  item.record.src = addr("192.0.2.1", 5060);
  item.record.dst = addr("192.0.2.101", 5060);
  item.call_id = kCallId;
  std::string out;
  for (auto _ : state) {
    out.clear();
    siptrace::appendCopyRow(siptrace::buildRow(item, kRinging), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyRow);

// The message alone as a COPY field (the largest part of a row).
void BM_CopyText(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    db::appendCopyText(kRinging, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyText);

// A loopback TCP collector: accepts one connection and reads until it closes.
class Collector {
 public:
  Collector() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    SockAddr a = addr("127.0.0.1", 0);
    if (::bind(listen_fd_, a.sa(), a.len) != 0 || ::listen(listen_fd_, 1) != 0) std::abort();
    port_ = addr("127.0.0.1", 0);
    port_.len = sizeof(port_.ss);
    ::getsockname(listen_fd_, port_.sa(), &port_.len);
    reader_ = std::thread([this] {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      std::string buf(1 << 20, '\0');
      while (fd >= 0 && ::read(fd, buf.data(), buf.size()) > 0) {
      }
      if (fd >= 0) ::close(fd);
    });
  }
  ~Collector() {
    reader_.join();
    ::close(listen_fd_);
  }
  std::string destination() const { return "tcp:127.0.0.1:" + std::to_string(port_.port()); }

 private:
  int listen_fd_;
  SockAddr port_;
  std::thread reader_;
};

void BM_WriterHepTcp(benchmark::State& state) {
  constexpr int kPerRound = 100;  // the writer's batch
  TracedService t;
  Collector collector;
  {
    Result<siptrace::HepDestination> dest = siptrace::parseHepDestination(collector.destination());
    if (!dest.isOk()) std::abort();
    siptrace::WriterOptions o;
    siptrace::Writer w(*t.svc().queue(), *t.svc().calls(), t.svc().counters(), o, {},
                       std::make_unique<siptrace::HepSender>(dest.value()));
    for (auto _ : state) {
      state.PauseTiming();
      for (int i = 0; i < kPerRound; ++i) t.capture();
      state.ResumeTiming();
      w.step(monotonicMs(), true);
    }
  }  // the writer closes the stream: the collector's thread ends
  if (t.dropped() != 0) state.SkipWithError("messages dropped");
  state.SetItemsProcessed(state.iterations() * kPerRound);
}
BENCHMARK(BM_WriterHepTcp);

}  // namespace
}  // namespace sipline
