// acc: accounting of transactions and calls to PostgreSQL and syslog. Glue only: parameters,
// commands, statistics, the acc-writer process; acc.h does the work.
#include "core/config/settings.h"
#include "core/db/schema.h"
#include "core/module/module.h"
#include "modules/acc/acc.h"

namespace sipline {
namespace {

constexpr std::uint32_t kAccRoutes = kRequestRoute | kFailureRoute;

class AccModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("accounting: transaction records, missed calls and CDRs to PostgreSQL and syslog");
    spec.description(
        "Records the transactions the script marks, with do_accounting(\"log|db\", "
        "\"cdr|missed|failed\") or with the message flags of the seed book (db_flag, "
        "log_flag, db_missed_flag, log_missed_flag, failed_transaction_flag, cdr_flag): "
        "method, From and To tags, Call-ID, the final reply's code and reason, the time, and "
        "the extra columns of db_extra and log_extra (pseudo-variables read from the "
        "request as relayed). A failed INVITE marked \"missed\" also goes to table "
        "missed_calls. With the dialog module and \"cdr\", an answered call makes one record "
        "when it ends: answer time, setup time, duration and who ended it.\n\n"
        "Workers never touch the database or the syslog socket: records go through a queue "
        "in shared memory to the acc-writer process, which inserts them in batches (a unique "
        "acc_key per record makes a second insert a no-op) and sends syslog datagrams. When "
        "PostgreSQL is down or slow, records are appended (fsync'd) to a spool file in "
        "spool_dir and replayed in order once it answers again; the replay position survives "
        "a restart, so nothing is lost and nothing is written twice. Needs tm; CDRs need the "
        "dialog module; the DB backend needs db_url and a driver such as db_postgres.");
    acc::Config& c = service_.config();
    spec.dependsOn("tm");
    spec.dependsOn("dialog", Dependency::kOptional);
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db; needed by the db backend");
    spec.param("db_table_acc", &c.db_table_acc, "table of transaction records and CDRs");
    spec.param("db_table_missed_calls", &c.db_table_missed_calls, "table of missed calls");
    spec.param("db_extra", &c.db_extra,
               "extra columns: \"col=$pv;col2=$pv\", e.g. \"src_user=$fU;dst_user=$rU\"");
    spec.param("log_extra", &c.log_extra, "extra syslog keys: \"key=$pv;key2=$pv\"");
    const IntRange flag{-1, 31};
    spec.param("log_flag", &c.log_flag, flag, "message flag: record the transaction to syslog");
    spec.param("db_flag", &c.db_flag, flag, "message flag: record the transaction to the DB");
    spec.param("log_missed_flag", &c.log_missed_flag, flag,
               "message flag: a failed INVITE to syslog as a missed call");
    spec.param("db_missed_flag", &c.db_missed_flag, flag,
               "message flag: a failed INVITE to table missed_calls");
    spec.param("failed_transaction_flag", &c.failed_transaction_flag, flag,
               "message flag: record failed transactions (>= 300) too");
    spec.param("cdr_flag", &c.cdr_flag, flag,
               "message flag: one record per answered call when it ends (the dialog module; "
               "acc creates the dialog)");
    spec.param("report_cancels", &c.report_cancels, "record CANCEL transactions too");
    spec.param("syslog_socket", &c.syslog_socket, "unix datagram socket of the syslog daemon");
    spec.param("log_facility", &c.log_facility, "syslog facility: local0 .. local7, user, ...");
    spec.param("spool_dir", &c.spool_dir,
               "directory of the spool (records the DB did not take yet); relative to the "
               "settings file; created when its parent exists");
    spec.param("queue_size", &c.queue_size, IntRange{16, 1000000},
               "records the shared-memory queue holds (about 768 bytes each)");
    spec.param("db_batch", &c.db_batch, IntRange{1, 10000}, "rows per insert transaction");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{100, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms a DB statement may take before the batch goes to the spool");

    spec.command(
        "do_accounting", {ArgSpec::str("backends"), ArgSpec::str("flags").opt()}, kAccRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindDoAccounting(a, bc); },
        "do_accounting(backends[, flags]): record this transaction; backends \"log\", \"db\" "
        "or \"log|db\", flags a subset of \"cdr|missed|failed\"; 1, or -1 when it cannot");
    spec.command(
        "acc_log_request", {ArgSpec::str("comment")}, kAccRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindRequest(a, bc, true); },
        "acc_log_request(comment): the request to syslog now (\"404 Not found\" sets the code)");
    spec.command(
        "acc_db_request", {ArgSpec::str("comment"), ArgSpec::str("table")}, kAccRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindRequest(a, bc, false); },
        "acc_db_request(comment, table): the request to a DB table now");

    acc::Counters& k = service_.counters();
    spec.stat("records", &k.records, "records made (rows and syslog messages)");
    spec.stat("db_written", &k.db_written, "rows the DB took (new and replayed)");
    spec.stat("spooled", &k.spooled, "rows appended to the spool (DB down or slow, queue full)");
    spec.stat("replayed", &k.replayed, "rows moved from the spool to the DB");
    spec.stat("failed", &k.failed,
              "rows lost, or refused by the DB as bad data (SQLSTATE 22/23; kept in acc.rejected)");
    spec.stat("queue_full", &k.queue_full, "records the shared-memory queue had no room for");
    spec.stat("log_written", &k.log_written, "syslog messages sent");
    spec.stat("log_failed", &k.log_failed, "syslog messages not sent (no socket, queue full)");
    spec.stat("spool_records", &k.spool_records, "rows in the spool waiting for the DB",
              StatKind::kGauge);

    // Stops after the workers and the timer process, so it writes the last of their records.
    spec.process(
        acc::kWriterName, [this] { return service_.runWriter(); }, nullptr, true);
  }

  Status init(InitContext& ctx) override {
    Result<tm::Api*> tm = ctx.require<tm::Api>("tm", "acc");
    if (!tm.isOk()) return tm.status();
    Result<dialog::Api*> dlg = ctx.require<dialog::Api>("dialog", "acc");
    // Relative to the settings file, as mpath and routes.
    std::string& spool = service_.config().spool_dir;
    if (!spool.empty() && spool.front() != '/') spool = ctx.settings().dir + "/" + spool;
    return service_.init(ctx.segment(), tm.value(), dlg.isOk() ? dlg.value() : nullptr);
  }

  void destroy() noexcept override { service_.shutdownDrain(); }

 private:
  static Result<std::string> constantText(const ScriptArg& arg, BindContext& bc, const char* what) {
    if (arg.kind != ScriptArg::Kind::kString || !arg.isConstant()) {
      return bc.error(arg, Status::invalidArgument(std::string(what) + " must be a constant"));
    }
    return arg.text;
  }

  Result<BoundCallPtr> bindDoAccounting(const ScriptArgs& a, BindContext& bc) {
    Result<std::string> backends = constantText(a[0], bc, "the backends");
    if (!backends.isOk()) return backends.status();
    std::string flags;
    if (a.size() > 1) {
      Result<std::string> f = constantText(a[1], bc, "the flags");
      if (!f.isOk()) return f.status();
      flags = f.value();
    }
    Result<std::uint32_t> modes = acc::parseAccounting(backends.value(), flags);
    if (!modes.isOk()) return bc.error(a[a.size() > 1 ? 1 : 0], modes.status());
    std::uint32_t m = modes.value();
    if ((m & acc::kDbTx) != 0 && service_.config().db_url.empty()) {
      return bc.error(a[0], Status::invalidArgument("the db backend needs acc's db_url"));
    }
    if ((m & (acc::kLogCdr | acc::kDbCdr)) != 0) {
      Result<dialog::Api*> dlg = bc.services() != nullptr
                                     ? bc.services()->require<dialog::Api>("dialog", "acc")
                                     : Result<dialog::Api*>(Status::notFound("no services"));
      if (!dlg.isOk()) {
        return bc.error(a[1], Status::invalidArgument("\"cdr\" needs the dialog module (load it)"));
      }
    }
    return makeCall(
        [this, m](MsgContext& ctx) { return Verdict::of(service_.doAccounting(ctx, m)); });
  }

  Result<BoundCallPtr> bindRequest(const ScriptArgs& a, BindContext& bc, bool log) {
    Result<StrArg> comment = bc.strArg(a[0]);
    if (!comment.isOk()) return comment.status();
    std::string table;
    if (!log) {
      Result<std::string> t = constantText(a[1], bc, "the table");
      if (!t.isOk()) return t.status();
      if (!db::isSqlIdentifier(t.value(), true)) {
        return bc.error(
            a[1], Status::invalidArgument("\"" + t.value() + "\" is not a plain SQL table name"));
      }
      if (service_.config().db_url.empty()) {
        return bc.error(a[0], Status::invalidArgument("acc_db_request() needs acc's db_url"));
      }
      table = t.value();
    }
    return makeCall([this, text = std::move(comment.value()), log, table](MsgContext& ctx) {
      std::string scratch;
      std::string_view c = text.eval(ctx, scratch);
      return Verdict::of(service_.accRequest(ctx, c, log, table));
    });
  }

  acc::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("acc", sipline::AccModule)
