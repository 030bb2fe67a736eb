#include "modules/acc/acc_events.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline::acc {

namespace {

RequestInfo invite(std::uint32_t modes) {
  RequestInfo r;
  r.modes = modes;
  r.method = "INVITE";
  r.call_id = "c1@h";
  r.from_tag = "ft";
  r.cseq = "1";
  r.db_extras = {std::string("alice"), std::nullopt};
  r.log_extras = {std::string("bob")};
  return r;
}

Layout layout() {
  Layout l;
  l.db_extra_names = {"src_user", "dst_user"};
  l.log_extra_names = {"dst"};
  return l;
}

FinalReply final(int code, const char* reason) {
  FinalReply f;
  f.code = code;
  f.reason = reason;
  f.to_tag = "tt";
  return f;
}

const std::string& col(const Row& r, const char* name) {
  static const std::string kNull = "<null>";
  const std::string* v = r.get(name);
  return v != nullptr ? *v : kNull;
}

}  // namespace

class AccEventsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccEventsTest);
  CPPUNIT_TEST(parsesBackendsAndFlags);
  CPPUNIT_TEST(requestInfoRoundTrips);
  CPPUNIT_TEST(answeredTransactionMakesOneAccRowWithExtras);
  CPPUNIT_TEST(busyCallIsMissedAndFailedOnlyWhenAsked);
  CPPUNIT_TEST(cdrReplacesTheRowOfThe2xx);
  CPPUNIT_TEST(cancelIsRecordedOnlyWithReportCancels);
  CPPUNIT_TEST(callEndMakesACdrWithDurations);
  CPPUNIT_TEST(unansweredCallMakesNoCdr);
  CPPUNIT_TEST(requestCommentGivesCodeAndReason);
  CPPUNIT_TEST(toTagIsReadFromTheReply);
  CPPUNIT_TEST(rowValuesAreTextTheDbTakesKeyFromRawValues);
  CPPUNIT_TEST(keyOfTxAndMissedIgnoresTheReplyToTag);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesBackendsAndFlags() {
    CPPUNIT_ASSERT_EQUAL(kDbTx, parseAccounting("db", "").value());
    CPPUNIT_ASSERT_EQUAL(kDbTx | kLogTx | kDbMissed | kLogMissed | kFailed | kDbCdr | kLogCdr,
                         parseAccounting("log|db", "cdr|missed|failed").value());
    CPPUNIT_ASSERT_EQUAL(kDbTx | kDbMissed, parseAccounting("db", "missed").value());
    CPPUNIT_ASSERT(!parseAccounting("aaa", "").isOk());
    Result<std::uint32_t> bad = parseAccounting("db", "cdr|missing");
    CPPUNIT_ASSERT(!bad.isOk());
    CPPUNIT_ASSERT(bad.status().message().find("missing") != std::string::npos);
  }

  void requestInfoRoundTrips() {
    RequestInfo r = invite(kDbTx | kFailed);
    r.to_tag = "x:y;z";
    RequestInfo back;
    CPPUNIT_ASSERT(unpackRequest(packRequest(r), back));
    CPPUNIT_ASSERT_EQUAL(r.modes, back.modes);
    CPPUNIT_ASSERT_EQUAL(r.call_id, back.call_id);
    CPPUNIT_ASSERT_EQUAL(r.to_tag, back.to_tag);
    CPPUNIT_ASSERT(r.db_extras == back.db_extras);
    CPPUNIT_ASSERT(r.log_extras == back.log_extras);
    CPPUNIT_ASSERT(!unpackRequest("R1;3:1", back));
    CPPUNIT_ASSERT(!unpackRequest(packRequest(r) + "x", back));
  }

  void answeredTransactionMakesOneAccRowWithExtras() {
    Records out = recordsForReply(layout(), invite(kDbTx | kLogTx), final(200, "OK"), 1000, 7);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.rows.size());
    const Row& r = out.rows[0];
    CPPUNIT_ASSERT_EQUAL(std::string("acc"), r.table);
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), col(r, "method"));
    CPPUNIT_ASSERT_EQUAL(std::string("tt"), col(r, "to_tag"));
    CPPUNIT_ASSERT_EQUAL(std::string("200"), col(r, "sip_code"));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), col(r, "src_user"));
    CPPUNIT_ASSERT_EQUAL(std::string("<null>"), col(r, "dst_user"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{64}, col(r, "acc_key").size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.logs.size());
    CPPUNIT_ASSERT(out.logs[0].find("ACC: transaction answered: timestamp=1;method=INVITE;"
                                    "from_tag=ft;to_tag=tt;call_id=c1@h;code=200;reason=OK;"
                                    "dst=bob") != std::string::npos);
    // A provisional reply makes nothing.
    CPPUNIT_ASSERT(recordsForReply(layout(), invite(kDbTx), final(180, "R"), 0, 7).rows.empty());
  }

  void busyCallIsMissedAndFailedOnlyWhenAsked() {
    Records plain = recordsForReply(layout(), invite(kDbTx), final(486, "Busy Here"), 0, 7);
    CPPUNIT_ASSERT(plain.rows.empty());
    Records missed =
        recordsForReply(layout(), invite(kDbTx | kDbMissed), final(486, "Busy Here"), 0, 7);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, missed.rows.size());
    CPPUNIT_ASSERT_EQUAL(std::string("missed_calls"), missed.rows[0].table);
    CPPUNIT_ASSERT_EQUAL(std::string("486"), col(missed.rows[0], "sip_code"));
    Records both = recordsForReply(layout(), invite(kDbTx | kDbMissed | kFailed | kLogMissed),
                                   final(486, "Busy Here"), 0, 7);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, both.rows.size());
    CPPUNIT_ASSERT_EQUAL(std::string("acc"), both.rows[0].table);
    CPPUNIT_ASSERT(col(both.rows[0], "acc_key") != col(both.rows[1], "acc_key"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, both.logs.size());
    CPPUNIT_ASSERT(both.logs[0].find("ACC: call missed:") != std::string::npos);
  }

  void cdrReplacesTheRowOfThe2xx() {
    Records out = recordsForReply(layout(), invite(kDbTx | kDbCdr | kLogTx | kCdrWatched),
                                  final(200, "OK"), 0, 7);
    CPPUNIT_ASSERT(out.rows.empty());                       // the CDR comes at the end of the call
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.logs.size());  // log has no cdr: its record
    // Not followed by the dialog module: the 2xx is recorded as usual.
    Records unwatched = recordsForReply(layout(), invite(kDbTx | kDbCdr), final(200, "OK"), 0, 7);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, unwatched.rows.size());
  }

  void cancelIsRecordedOnlyWithReportCancels() {
    RequestInfo c = invite(kDbTx);
    c.method = "CANCEL";
    CPPUNIT_ASSERT(recordsForReply(layout(), c, final(200, "OK"), 0, 7).rows.empty());
    Layout l = layout();
    l.report_cancels = true;
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, recordsForReply(l, c, final(200, "OK"), 0, 7).rows.size());
  }

  void callEndMakesACdrWithDurations() {
    CallEnd e;
    e.to_tag = "tt";
    e.created_ms = 1000000;
    e.answered_ms = 1002400;
    e.ended_ms = 1007900;
    e.code = 200;
    e.reason = "OK";
    e.ended_by = "callee";
    Records out = recordsForCallEnd(layout(), invite(kDbCdr | kLogCdr | kCdrWatched), e, 7);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.rows.size());
    const Row& r = out.rows[0];
    CPPUNIT_ASSERT_EQUAL(std::string("acc"), r.table);
    CPPUNIT_ASSERT_EQUAL(std::string("6"), col(r, "duration"));  // 5.5 s rounds to 6
    CPPUNIT_ASSERT_EQUAL(std::string("5500"), col(r, "ms_duration"));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), col(r, "setuptime"));
    CPPUNIT_ASSERT_EQUAL(std::string("callee"), col(r, "ended_by"));
    CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01 00:16:42.400+00"), col(r, "time"));
    CPPUNIT_ASSERT_EQUAL(std::string("1970-01-01 00:16:40.000+00"), col(r, "created"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, out.logs.size());
    CPPUNIT_ASSERT(out.logs[0].find("ACC: call ended:") != std::string::npos);
    CPPUNIT_ASSERT(out.logs[0].find(";ended_by=callee") != std::string::npos);
  }

  void unansweredCallMakesNoCdr() {
    CallEnd e;
    e.created_ms = 1000;
    e.ended_ms = 5000;
    e.code = 487;
    CPPUNIT_ASSERT(recordsForCallEnd(layout(), invite(kDbCdr), e, 7).rows.empty());
  }

  void requestCommentGivesCodeAndReason() {
    RequestInfo r = invite(kDbTx);
    Row row = requestRow(layout(), r, "404 Not here", "acc", 0);
    CPPUNIT_ASSERT_EQUAL(std::string("404"), col(row, "sip_code"));
    CPPUNIT_ASSERT_EQUAL(std::string("Not here"), col(row, "sip_reason"));
    Row plain = requestRow(layout(), r, "seen", "acc", 0);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), col(plain, "sip_code"));
    CPPUNIT_ASSERT_EQUAL(std::string("seen"), col(plain, "sip_reason"));
    CPPUNIT_ASSERT(col(row, "acc_key") != col(plain, "acc_key"));
  }

  void toTagIsReadFromTheReply() {
    std::string wire =
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
        "From: <sip:a@h>;tag=ft\r\nTo: <sip:b@h>;tag=callee-7\r\nCall-ID: c1@h\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    CPPUNIT_ASSERT_EQUAL(std::string("callee-7"), toTagOfReply(wire));
    CPPUNIT_ASSERT_EQUAL(std::string(""), toTagOfReply("garbage"));
  }

  void rowValuesAreTextTheDbTakesKeyFromRawValues() {
    RequestInfo bad = invite(kDbTx | kDbMissed | kFailed);
    bad.call_id = std::string(300, 'c') + std::string("\0", 1);
    bad.from_tag = "f\xff";
    bad.db_extras = {std::string("al\xff"
                                 "ce"),
                     std::string("n\0ul", 4)};
    Records out = recordsForReply(layout(), bad, final(486, "Busy\xc0"), 0, 7);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, out.rows.size());
    const std::string fffd = "\xef\xbf\xbd";
    for (const Row& r : out.rows) {
      CPPUNIT_ASSERT_EQUAL(std::string(300, 'c') + fffd, col(r, "callid"));
      CPPUNIT_ASSERT_EQUAL("f" + fffd, col(r, "from_tag"));
      CPPUNIT_ASSERT_EQUAL("Busy" + fffd, col(r, "sip_reason"));
      CPPUNIT_ASSERT_EQUAL("al" + fffd + "ce", col(r, "src_user"));
      CPPUNIT_ASSERT_EQUAL("n" + fffd + "ul", col(r, "dst_user"));
    }
    // The key comes from the raw bytes: another byte that maps to U+FFFD is another call.
    RequestInfo other = bad;
    other.from_tag = "f\xfe";
    Records o2 = recordsForReply(layout(), other, final(486, "Busy\xc0"), 0, 7);
    CPPUNIT_ASSERT_EQUAL(col(out.rows[0], "from_tag"), col(o2.rows[0], "from_tag"));
    CPPUNIT_ASSERT(col(out.rows[0], "acc_key") != col(o2.rows[0], "acc_key"));
    CPPUNIT_ASSERT_EQUAL(col(out.rows[0], "acc_key"),
                         accKey("tx", bad.call_id, bad.from_tag, "", bad.cseq, bad.method));
  }

  void keyOfTxAndMissedIgnoresTheReplyToTag() {
    // tm's local reply tag changes across a restart: a replayed record keeps its key.
    RequestInfo r = invite(kDbTx | kDbMissed | kFailed);
    FinalReply a = final(408, "Request Timeout");
    FinalReply b = a;
    b.to_tag = "other-tag-after-restart";
    Records ra = recordsForReply(layout(), r, a, 0, 7);
    Records rb = recordsForReply(layout(), r, b, 5, 7);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, ra.rows.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, rb.rows.size());
    for (std::size_t i = 0; i < 2; ++i) {
      CPPUNIT_ASSERT_EQUAL(col(ra.rows[i], "acc_key"), col(rb.rows[i], "acc_key"));
      CPPUNIT_ASSERT_EQUAL(std::string("other-tag-after-restart"), col(rb.rows[i], "to_tag"));
    }
    CPPUNIT_ASSERT(col(ra.rows[0], "acc_key") != col(ra.rows[1], "acc_key"));  // tx vs missed
    // Another CSeq is another transaction.
    r.cseq = "2";
    CPPUNIT_ASSERT(col(recordsForReply(layout(), r, a, 0, 7).rows[0], "acc_key") !=
                   col(ra.rows[0], "acc_key"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AccEventsTest);

}  // namespace sipline::acc
