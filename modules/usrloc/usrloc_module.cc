// usrloc: the location service (AOR → contacts) in shared memory, optionally backed by the DB.
// Glue only: parameters, statistics, MI commands, the expiry timer, the flusher process and
// the "usrloc" service; usrloc.h does the work.
#include "core/base/clock.h"
#include "core/module/module.h"
#include "modules/usrloc/ul_mi.h"
#include "modules/usrloc/usrloc.h"

namespace sipline {
namespace {

class UsrlocModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("the location service: the contacts registered for each address of record");
    spec.description(
        "Keeps, per address of record, the contacts its devices registered (URI, received "
        "address, Path, q, expiry, Call-ID and CSeq, user agent, socket, flags, RFC 5626 "
        "instance and reg-id). registrar writes and reads them; other modules reach them "
        "through the usrloc service. It has no script commands of its own.\n\n"
        "The contacts live in shared memory, in tables named by the script "
        "(save(\"location\")), each with one lock per bucket, so every worker sees every "
        "registration at once. db_mode adds PostgreSQL (with db_url and a DB driver such as "
        "db_postgres): write-through, write-back (a flusher process writes every "
        "write_back_interval) or db-only. A timer removes expired contacts every "
        "timer_interval seconds.");
    usrloc::Config& cfg = service_.config();
    spec.param("db_mode", &cfg.db_mode, OneOf{{"memory", "write-through", "write-back", "db-only"}},
               "memory | write-through | write-back | db-only: where contacts live");
    spec.param("db_url", &cfg.db_url,
               "postgres://user:pass@host:port/db; required by every mode but memory");
    spec.param("use_domain", &cfg.use_domain,
               "AORs are user@domain (multi-domain) instead of user");
    spec.param("hash_size", &cfg.hash_size, IntRange{256, 1 << 24},
               "buckets per table, a power of two (not OpenSIPS's log2)");
    spec.param("timer_interval", &cfg.timer_interval_s, IntRange{1, 3600},
               "seconds between expiry sweeps");
    spec.param("write_back_interval", &cfg.write_back_interval_s, IntRange{1, 3600},
               "seconds between flushes of changes to the DB in write-back mode");
    spec.param("db_connect_timeout", &cfg.db_connect_timeout_ms, IntRange{100, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &cfg.db_query_timeout_ms, IntRange{50, 60000},
               "ms a DB statement may take (a worker never waits longer)");
    spec.param("nat_bflag", &cfg.nat_bflag, IntRange{-1, 31},
               "branch flag marking a contact behind NAT (nathelper pings those); -1: none");

    usrloc::Counters& c = service_.counters();
    spec.stat("expired_contacts", &c.expired_contacts, "contacts removed because they expired");
    spec.stat("db_errors", &c.db_errors, "failed DB operations (changes are kept and retried)");
    spec.stat("no_memory", &c.no_memory, "contacts refused because shared memory was full");

    spec.mi("ul_dump", {MiParamSpec::str("table", "only this table").opt()},
            "every AOR with its contacts, per table",
            [this](const MiParams& p) { return usrloc::miDump(service_, p); });
    spec.mi("ul_show",
            {MiParamSpec::str("aor", "only this address of record").opt(),
             MiParamSpec::str("table", "only this table").opt()},
            "every AOR with its contacts, or the contacts of one AOR, in every table",
            [this](const MiParams& p) { return usrloc::miShow(service_, p); });
    spec.mi("ul_show_contact",
            {MiParamSpec::str("table", "table name, e.g. location"),
             MiParamSpec::str("aor", "address of record")},
            "the contacts of one AOR",
            [this](const MiParams& p) { return usrloc::miShowContact(service_, p); });
    spec.mi("ul_rm",
            {MiParamSpec::str("table", "table name"), MiParamSpec::str("aor", "address of record")},
            "removes an AOR with all its contacts",
            [this](const MiParams& p) { return usrloc::miRemoveAor(service_, p); });
    spec.mi("ul_rm_contact",
            {MiParamSpec::str("table", "table name"), MiParamSpec::str("aor", "address of record"),
             MiParamSpec::str("contact", "the contact URI as registered")},
            "removes one contact of an AOR",
            [this](const MiParams& p) { return usrloc::miRemoveContact(service_, p); });
    spec.mi("ul_add",
            {MiParamSpec::str("table", "table name"), MiParamSpec::str("aor", "address of record"),
             MiParamSpec::str("contact", "contact URI"),
             MiParamSpec::integer("expires", "seconds from now"),
             MiParamSpec::str("q", "0 .. 1, e.g. \"0.5\"").opt(),
             MiParamSpec::integer("flags", "usrloc flags").opt(),
             MiParamSpec::integer("cflags", "branch flags").opt(),
             MiParamSpec::integer("methods", "method bit mask").opt()},
            "adds (or replaces) a contact of an AOR",
            [this](const MiParams& p) { return usrloc::miAdd(service_, p); });
    spec.mi("ul_flush", {}, "writes pending changes to the DB now (write-back, write-through)",
            [this](const MiParams& p) { return usrloc::miFlush(service_, p); });

    spec.provide<usrloc::Api>("usrloc", &service_);
    // Ticks every second; the service sweeps every timer_interval (params are not known yet).
    spec.timer("usrloc-expiry", 1000, [this] { service_.onTimerTick(monotonicMs()); });
    // Only with a DB mode (known once the parameters are applied).
    spec.process(
        usrloc::kFlusherName, [this] { return service_.runFlusher(); },
        [this] { return service_.mode() != usrloc::DbMode::kMemory; });
  }

  Status init(InitContext& ctx) override {
    Status st = service_.init(ctx.segment());
    if (!st.isOk()) return st;
    service_.declareStats(stats());
    return Status::ok();
  }

  Status childInit(const ProcessInfo& proc) override { return service_.childInit(proc); }

  void destroy() noexcept override { service_.shutdownFlush(); }

 private:
  usrloc::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("usrloc", sipline::UsrlocModule)
