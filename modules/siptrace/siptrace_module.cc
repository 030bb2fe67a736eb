// siptrace: traces calls to a sip_trace table in PostgreSQL and/or to a HEPv3 collector.
// Glue only: parameters, the sip_trace() command, MI, statistics and the siptrace-writer
// process; siptrace.h does the work.
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/siptrace/siptrace.h"

namespace sipline {
namespace {

constexpr std::uint32_t kTraceRoutes = kRequestRoute | kOnReplyRoute | kFailureRoute;

class SiptraceModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("call tracing: every message of chosen calls to PostgreSQL and HEPv3");
    spec.description(
        "sip_trace() in the script traces the current message and from then on every message "
        "of its call (same Call-ID), received or sent, for the transaction and the dialog: "
        "the Call-ID is kept in shared memory with a time to live (trace_call_ttl) that each "
        "message of the call renews. The management command trace_user traces every call "
        "whose From or To URI names a subscriber, without anything in the script; the "
        "command sip_trace switches all tracing on and off at run time.\n\n"
        "Destinations: the sip_trace table (db_url; one row per message with its time, "
        "Call-ID, the traced user, the message, method, status, addresses, ports, transports, "
        "From tag and direction) and a HEPv3 collector such as Homer or heplify "
        "(hep_destination, over UDP or TCP, the Call-ID as correlation id). Workers never "
        "block for tracing: messages go through a bounded queue in shared memory (queue_size "
        "KB) to the siptrace-writer process; a full queue or a DB that is down drops messages "
        "and counts them (stat dropped).");
    siptrace::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db: rows to table sip_trace");
    spec.param("table", &c.table, "the table of traced messages (default sip_trace)");
    spec.param("hep_destination", &c.hep_destination,
               "HEPv3 collector, \"udp:127.0.0.1:9060\" or \"tcp:IP:PORT\" (numeric address)");
    spec.param("hep_capture_id", &c.hep_capture_id, IntRange{0, 4294967295LL},
               "capture agent id written in every HEP packet (default 0)");
    spec.param("hep_auth_key", &c.hep_auth_key, "HEP authentication key (default none)");
    spec.param("trace_call_ttl", &c.trace_call_ttl, IntRange{1, 86400},
               "seconds a traced call stays traced after its last message (default 3600)");
    spec.param("enabled", &c.enabled, "tracing on at start (default true; MI sip_trace)");
    spec.param("queue_size", &c.queue_size, IntRange{16, 1048576},
               "KB of shared memory queueing messages for the writer (default 1024)");
    spec.param("max_traced_calls", &c.max_traced_calls, IntRange{8, 1000000},
               "calls traced at once (default 4096); more replace the oldest");
    spec.param("db_batch", &c.db_batch, IntRange{1, 10000},
               "rows per COPY, and messages taken from the queue at a time (default 500)");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{100, 60000},
               "ms a DB connection attempt may take (default 1000)");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms a batch's COPY may take (default 2000)");

    spec.command(
        "sip_trace", {ArgSpec::str("attrs").opt()}, kTraceRoutes,
        [this](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          StrArg attrs;
          if (!a.empty()) {
            Result<StrArg> s = bc.strArg(a[0]);
            if (!s.isOk()) return s.status();
            attrs = std::move(s.value());
          }
          return makeCall([this, attrs = std::move(attrs)](MsgContext& ctx) {
            std::string scratch;
            std::string_view v = attrs.eval(ctx, scratch);
            return Verdict::of(service_.sipTrace(ctx, v));
          });
        },
        "sip_trace([attrs]): trace this message and every later message of its call (its "
        "transaction and dialog); attrs goes to column trace_attrs; -1 when tracing is off");

    spec.mi("sip_trace", {MiParamSpec::str("mode", "\"on\" or \"off\"").opt()},
            "tracing on or off (no mode: the state), with the traced calls and users",
            [this](const MiParams& p) { return service_.miSipTrace(p); });
    spec.mi("trace_user",
            {MiParamSpec::str("action", "add, remove or list"),
             MiParamSpec::str("user", "user or user@domain").opt()},
            "trace every call whose From or To URI names this user (and domain)",
            [this](const MiParams& p) { return service_.miTraceUser(p); });

    siptrace::Counters& k = service_.counters();
    spec.stat("traced", &k.traced, "messages queued for tracing");
    spec.stat("written", &k.written, "rows written to the sip_trace table");
    spec.stat("hep_sent", &k.hep_sent, "HEP packets written whole to the collector's socket");
    spec.stat("dropped", &k.dropped,
              "traced messages lost: queue full, DB down, collector unreachable");
    spec.stat("db_errors", &k.db_errors, "batches of rows the DB did not take");

    // Stops after the workers, so the last messages they traced are written.
    spec.process(
        siptrace::kWriterName, [this] { return service_.runWriter(); }, nullptr, true);
  }

  Status init(InitContext& ctx) override { return service_.init(ctx.segment()); }

 private:
  siptrace::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("siptrace", sipline::SiptraceModule)
