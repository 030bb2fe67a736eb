#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/parser/sip_message.h"
#include "core/sip/msg_context.h"
#include "modules/acc/acc.h"
#include "modules/acc/acc_test_util.h"

namespace sipline::acc {

namespace {

// tm as far as acc uses it: one watcher id, watch() noted.
class FakeTm : public tm::Api {
 public:
  std::uint16_t registerCallback(tm::LocalCallback) override { return 0; }
  Status send(const tm::LocalRequest&, std::uint16_t, std::uint64_t) override {
    return Status::ok();
  }
  std::uint8_t registerWatcher(tm::TsxWatcher*, bool every) override {
    every_transaction = every;
    return 1;
  }
  Status watch(MsgContext&, std::uint8_t id) override {
    watched = id;
    return Status::ok();
  }
  bool every_transaction = false;
  int watched = 0;
};

// dialog as far as acc uses it: watch() counted; every call "has" a dialog.
class FakeDialog : public dialog::Api {
 public:
  Status registerWatcher(const std::string&, dialog::DialogWatcher*) override {
    return Status::ok();
  }
  Status watch(MsgContext& ctx, const std::string&, std::string data) override {
    if (ctx.routeType() != kRequestRoute) {
      return Status::failedPrecondition("not an initial INVITE in the request route");
    }
    ++watched;
    ctx.dialog = 42;
    last_data = std::move(data);
    return Status::ok();
  }
  int watched = 0;
  std::string last_data;
};

const char kOk[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    "From: <sip:alice@example.org>;tag=ft1\r\n"
    "To: <sip:bob@example.com>;tag=tt9\r\n"
    "Call-ID: svc-1@test\r\n"
    "CSeq: 7 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

const char kInvite[] =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    "From: <sip:alice@example.org>;tag=ft1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: svc-1@test\r\n"
    "CSeq: 7 INVITE\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 0\r\n\r\n";

const char kBusy[] =
    "SIP/2.0 486 Busy Here\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n"
    "From: <sip:alice@example.org>;tag=ft1\r\n"
    "To: <sip:bob@example.com>;tag=tt9\r\n"
    "Call-ID: svc-1@test\r\n"
    "CSeq: 7 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

}  // namespace

class AccServiceTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccServiceTest);
  CPPUNIT_TEST(flagModelWatchesEveryTransactionAndRecordsFlaggedOnes);
  CPPUNIT_TEST(doAccountingAsksTmAndAttachTakesItsModes);
  CPPUNIT_TEST(failureRouteReattachAddsModes);
  CPPUNIT_TEST(failureRouteCdrContinuesTheCallWithoutANewDialog);
  CPPUNIT_TEST(fullQueueMakesTheWorkerSpoolTheRow);
  CPPUNIT_TEST(recordsAfterTheShutdownDrainGoStraightToTheSpool);
  CPPUNIT_TEST(extrasAreCheckedAtStart);
  CPPUNIT_TEST(badParametersRefuseTheStart);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    svc_ = std::make_unique<Service>();
    for (auto& s : slots_) s = 0;
    Counters& c = svc_->counters();
    StatCounter* all[] = {&c.records,    &c.db_written,  &c.spooled,    &c.replayed,     &c.failed,
                          &c.queue_full, &c.log_written, &c.log_failed, &c.spool_records};
    for (std::size_t i = 0; i < 9; ++i) all[i]->bindForTest(&slots_[i]);
    Config& cfg = svc_->config();
    cfg.db_url = "postgres://sipline@127.0.0.1:9/sipline";
    cfg.spool_dir = dir_.path();
    cfg.db_extra = "src_user=$fU;dst_user=$rU";
    cfg.queue_size = 16;
  }
  void tearDown() override {
    svc_.reset();
    std::free(mem_);
    mem_ = nullptr;
  }

  Status start(tm::Api* tm = nullptr, dialog::Api* dialog = nullptr) {
    std::size_t bytes = Service::queueBytesFor(svc_->config().queue_size);
    mem_ = std::aligned_alloc(16, bytes);
    return svc_->initForTest(mem_, bytes, tm, dialog);
  }

  std::vector<Row> queuedRows() {
    std::vector<Entry> out;
    svc_->queue()->peek(100, out);
    std::vector<Row> rows;
    for (const Entry& e : out) {
      std::string_view t(e.text);
      t.remove_suffix(1);
      rows.push_back(decodeLine(t).value());
    }
    return rows;
  }

  // tm attaches a watcher again when do_accounting() runs in failure_route (or after
  // t_relay()) and keeps what the second attach() returns.
  void failureRouteReattachAddsModes() {
    FakeTm tm;
    CPPUNIT_ASSERT(start(&tm).isOk());
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    std::uint32_t missed = parseAccounting("db", "missed").value();
    CPPUNIT_ASSERT_EQUAL(1, svc_->doAccounting(ctx, missed));
    std::optional<std::string> first = svc_->attach(ctx);
    CPPUNIT_ASSERT(first.has_value());
    // The same attach again is the same data (idempotent).
    CPPUNIT_ASSERT_EQUAL(1, svc_->doAccounting(ctx, missed));
    CPPUNIT_ASSERT(*first == *svc_->attach(ctx));
    // failure_route: a fresh context of the stored request asks for "failed" only; what the
    // request route asked for ("missed") stays.
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(kInvite) == ParseError::kOk);
    MsgContext fctx(again, rcv, kFailureRoute);
    CPPUNIT_ASSERT_EQUAL(1, svc_->doAccounting(fctx, parseAccounting("db", "failed").value()));
    std::optional<std::string> second = svc_->reattach(fctx, *first);
    CPPUNIT_ASSERT(second.has_value());
    // Nothing asked in the failure_route: what was kept stays.
    MsgContext quiet(again, rcv, kFailureRoute);
    CPPUNIT_ASSERT(!svc_->reattach(quiet, *first).has_value());
    tm::TsxEvent ev;
    ev.code = 486;
    ev.reason = "Busy Here";
    ev.reply = kBusy;
    ev.method = Method::kInvite;
    ev.first_final = true;
    ev.data = *second;
    svc_->onReply(ev);
    std::vector<Row> rows = queuedRows();
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, rows.size());
    CPPUNIT_ASSERT_EQUAL(std::string("acc"), rows[0].table);  // "failed"
    CPPUNIT_ASSERT_EQUAL(std::string("missed_calls"), rows[1].table);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), *rows[1].get("src_user"));
  }

  // "cdr" again in a failure_route (serial forking: the next branch may answer): no second
  // dialog is asked for, and the 2xx still makes no transaction row (the CDR comes when the
  // call ends).
  void failureRouteCdrContinuesTheCallWithoutANewDialog() {
    FakeTm tm;
    FakeDialog dlg;
    CPPUNIT_ASSERT(start(&tm, &dlg).isOk());
    std::uint32_t modes = parseAccounting("db", "cdr|missed").value();
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(1, svc_->doAccounting(ctx, modes));
    std::optional<std::string> first = svc_->attach(ctx);
    CPPUNIT_ASSERT(first.has_value());
    // do_accounting() asks, attach() gives the dialog the request as relayed.
    int watched = dlg.watched;
    CPPUNIT_ASSERT(watched >= 1);
    SipMessage again;
    CPPUNIT_ASSERT(again.parse(kInvite) == ParseError::kOk);
    MsgContext fctx(again, rcv, kFailureRoute);
    CPPUNIT_ASSERT_EQUAL(1, svc_->doAccounting(fctx, modes));
    std::optional<std::string> data = svc_->reattach(fctx, *first);
    CPPUNIT_ASSERT(data.has_value());
    CPPUNIT_ASSERT_EQUAL(watched, dlg.watched);
    tm::TsxEvent ev;
    ev.code = 200;
    ev.reason = "OK";
    ev.reply = kOk;
    ev.method = Method::kInvite;
    ev.first_final = true;
    ev.data = *data;
    svc_->onReply(ev);
    CPPUNIT_ASSERT_EQUAL(0u, svc_->queue()->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().failed.get());
  }

  void flagModelWatchesEveryTransactionAndRecordsFlaggedOnes() {
    svc_->config().db_flag = 2;
    svc_->config().db_missed_flag = 3;
    FakeTm tm;
    CPPUNIT_ASSERT(start(&tm).isOk());
    CPPUNIT_ASSERT(tm.every_transaction);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT(!svc_->attach(ctx).has_value());  // no flag: not followed
    ctx.flags = (1u << 2) | (1u << 3);
    std::optional<std::string> data = svc_->attach(ctx);
    CPPUNIT_ASSERT(data.has_value());
    tm::TsxEvent ev;
    ev.code = 486;
    ev.reason = "Busy Here";
    ev.reply = kBusy;
    ev.method = Method::kInvite;
    ev.first_final = true;
    ev.data = *data;
    svc_->onReply(ev);
    std::vector<Row> rows = queuedRows();
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, rows.size());  // missed only: no failed flag
    CPPUNIT_ASSERT_EQUAL(std::string("missed_calls"), rows[0].table);
    CPPUNIT_ASSERT_EQUAL(std::string("svc-1@test"), *rows[0].get("callid"));
    CPPUNIT_ASSERT_EQUAL(std::string("ft1"), *rows[0].get("from_tag"));
    CPPUNIT_ASSERT_EQUAL(std::string("tt9"), *rows[0].get("to_tag"));
    CPPUNIT_ASSERT_EQUAL(std::string("486"), *rows[0].get("sip_code"));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), *rows[0].get("src_user"));
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), *rows[0].get("dst_user"));
    // A later final (a second 2xx of a forked call) is not the first: nothing more.
    ev.first_final = false;
    svc_->onReply(ev);
    CPPUNIT_ASSERT_EQUAL(1u, svc_->queue()->size());
  }

  void doAccountingAsksTmAndAttachTakesItsModes() {
    FakeTm tm;
    CPPUNIT_ASSERT(start(&tm).isOk());
    CPPUNIT_ASSERT(!tm.every_transaction);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    MsgContext ctx(msg, rcv, kRequestRoute);
    CPPUNIT_ASSERT_EQUAL(1, svc_->doAccounting(ctx, kDbTx | kFailed));
    CPPUNIT_ASSERT_EQUAL(1, tm.watched);
    std::optional<std::string> data = svc_->attach(ctx);
    CPPUNIT_ASSERT(data.has_value());
    RequestInfo info;
    CPPUNIT_ASSERT(unpackRequest(*data, info));
    CPPUNIT_ASSERT_EQUAL(kDbTx | kFailed, info.modes);
    CPPUNIT_ASSERT_EQUAL(std::string("7"), info.cseq);
    // Taken once: another message in the same place of the stack gets nothing.
    CPPUNIT_ASSERT(!svc_->attach(ctx).has_value());
  }

  void fullQueueMakesTheWorkerSpoolTheRow() {
    CPPUNIT_ASSERT(start().isOk());
    Records r;
    for (int i = 0; i < 20; ++i) {
      Row row;
      row.table = "acc";
      row.columns = {{"acc_key", "k" + std::to_string(i)}};
      r.rows.push_back(row);
    }
    r.logs.push_back("<134>x");
    svc_->emit(r);
    CPPUNIT_ASSERT_EQUAL(16u, svc_->queue()->size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{5}, svc_->counters().queue_full.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, svc_->counters().spooled.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, svc_->counters().spool_records.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, svc_->counters().log_failed.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{21}, svc_->counters().records.get());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{4}, svc_->spool().countPendingLines());
  }

  void recordsAfterTheShutdownDrainGoStraightToTheSpool() {
    CPPUNIT_ASSERT(start().isOk());
    Records r;
    Row row;
    row.table = "acc";
    row.columns = {{"acc_key", "queued"}};
    r.rows.push_back(row);
    svc_->emit(r);
    svc_->shutdownDrain();  // the master, every child gone
    CPPUNIT_ASSERT_EQUAL(0u, svc_->queue()->size());
    r.rows[0].columns[0].value = "late";  // e.g. dialog ending calls in its destroy()
    svc_->emit(r);
    CPPUNIT_ASSERT_EQUAL(0u, svc_->queue()->size());
    Result<SpoolBatch> b = svc_->spool().read(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, b.value().lines.size());
    CPPUNIT_ASSERT_EQUAL(std::string("late"),
                         *decodeLine(b.value().lines[1]).value().get("acc_key"));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, svc_->counters().queue_full.get());
  }

  void extrasAreCheckedAtStart() {
    Result<std::vector<Extra>> ok = parseExtras(" src_user = $fU ; src_ip=$si;", "db_extra");
    CPPUNIT_ASSERT_MESSAGE(ok.isOk() ? "" : ok.status().message(), ok.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, ok.value().size());
    CPPUNIT_ASSERT_EQUAL(std::string("src_ip"), ok.value()[1].name);
    for (const char* bad : {"src_user", "src_user=fU", "src_user=$nosuchpvar", "Bad=$fU",
                            "method=$rm", "a=$fU;a=$tU"}) {
      Result<std::vector<Extra>> r = parseExtras(bad, "db_extra");
      CPPUNIT_ASSERT_MESSAGE(bad, !r.isOk());
      CPPUNIT_ASSERT(r.status().message().find("db_extra") != std::string::npos);
    }
    CPPUNIT_ASSERT(parseExtras("", "log_extra").value().empty());
  }

  void badParametersRefuseTheStart() {
    svc_->config().spool_dir = dir_.file("missing") + "/acc";  // a missing parent
    Status st = start();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT(st.message().find(dir_.file("missing")) != std::string::npos);
    Service other;
    other.config().log_facility = "local9";
    std::size_t bytes = Service::queueBytesFor(16);
    void* m = std::aligned_alloc(16, bytes);
    CPPUNIT_ASSERT(!other.initForTest(m, bytes).isOk());
    Service flags;
    flags.config().db_flag = 1;  // no db_url
    CPPUNIT_ASSERT(!flags.initForTest(m, bytes).isOk());
    std::free(m);
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<Service> svc_;
  std::atomic<std::uint64_t> slots_[9];
  void* mem_ = nullptr;
};
CPPUNIT_TEST_SUITE_REGISTRATION(AccServiceTest);

}  // namespace sipline::acc
