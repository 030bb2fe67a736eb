// siplinectl trace: the flight recorder's answer to Records (and its malformed forms), the
// server's columns named in the ladder, and the command line of `trace`.
#include "tools/siplinectl/trace_view.h"

#include <cppunit/extensions/HelperMacros.h>

#include "core/base/base64.h"
#include "core/db/read_only_fake_test_util.h"
#include "tools/siplinectl/cli.h"

namespace sipline::ctl {
namespace {

Json message(const char* dir, const char* src, const char* dst, const char* text,
             std::int64_t t = 1000) {
  Json m = Json::object();
  m["time_us"] = t;
  m["proto"] = "udp";
  m["direction"] = dir;
  m["src"] = src;
  m["dst"] = dst;
  m["call_id"] = "c1";
  m["message"] = text;
  return m;
}

// Answers every query with the rows it was given, and remembers the last one.
class CannedDb : public db::testing::ReadOnlyFakeConnection {
 public:
  explicit CannedDb(db::Rows rows) : rows_(std::move(rows)) {}
  using ReadOnlyFakeConnection::query;
  Result<db::Rows> query(std::string_view sql, const std::vector<db::Param>& p) override {
    sql_ = std::string(sql);
    params_ = p;
    if (fail_) return Status::unavailable("connection lost");
    return rows_;
  }
  std::string sql_;
  std::vector<db::Param> params_;
  bool fail_ = false;

 protected:
  bool down() const override { return false; }

 private:
  db::Rows rows_;
};

using Cells = std::vector<std::optional<std::string>>;

db::Rows traceRows(std::vector<Cells> cells) {
  return db::Rows({"t", "from_proto", "from_ip", "from_port", "to_proto", "to_ip", "to_port",
                   "direction", "msg"},
                  std::move(cells));
}

const char kInvite[] = "INVITE sip:b@h SIP/2.0\r\nCall-ID: c1\r\n\r\n";
const char kTrying[] = "SIP/2.0 100 Trying\r\nCall-ID: c1\r\n\r\n";

}  // namespace

class TraceViewTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TraceViewTest);
  CPPUNIT_TEST(recorderAnswerBecomesRecords);
  CPPUNIT_TEST(malformedAnswersAreRefusedNamingTheEntry);
  CPPUNIT_TEST(binaryMessageComesFromBase64);
  CPPUNIT_TEST(serverColumnsAreNamed);
  CPPUNIT_TEST(commandLineOfTrace);
  CPPUNIT_TEST(emptyCallIdIsAUsageError);
  CPPUNIT_TEST(sipTraceRowsBecomeRecords);
  CPPUNIT_TEST_SUITE_END();

 public:
  void recorderAnswerBecomesRecords() {
    Json a = Json::object();
    a["messages"] =
        Json::array({message("in", "192.0.2.1:5062", "127.0.0.1:5060", kInvite),
                     message("out", "[::1]:5060", "[2001:db8::1]:5070", kTrying, 2000)});
    Result<std::vector<trace::Record>> r = recordsFromRecorder(a);
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.value().size());
    const trace::Record& first = r.value()[0];
    CPPUNIT_ASSERT(!first.outgoing);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1:5062"), first.src.toString());
    CPPUNIT_ASSERT_EQUAL(std::string(kInvite), first.message);
    const trace::Record& second = r.value()[1];
    CPPUNIT_ASSERT(second.outgoing);
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]:5070"), second.dst.toString());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2000}, second.time_us);
    Json empty = Json::object();
    empty["messages"] = Json::array();
    CPPUNIT_ASSERT(recordsFromRecorder(empty).value().empty());
  }

  void malformedAnswersAreRefusedNamingTheEntry() {
    CPPUNIT_ASSERT(!recordsFromRecorder(Json::array()).isOk());
    CPPUNIT_ASSERT(!recordsFromRecorder(Json::object()).isOk());
    const char* bad_src[] = {"127.0.0.1", "host:5060", "127.0.0.1:99999", "127.0.0.1:x", ""};
    for (const char* src : bad_src) {
      Json a = Json::object();
      a["messages"] = Json::array({message("in", "127.0.0.1:1", "127.0.0.1:2", kInvite),
                                   message("in", src, "127.0.0.1:2", kInvite)});
      Result<std::vector<trace::Record>> r = recordsFromRecorder(a);
      CPPUNIT_ASSERT_MESSAGE(src, !r.isOk());
      CPPUNIT_ASSERT(r.status().message().find("message 2") != std::string::npos);
    }
    Json a = Json::object();
    Json m = message("in", "127.0.0.1:1", "127.0.0.1:2", kInvite);
    m["proto"] = "sctp";
    a["messages"] = Json::array({m});
    CPPUNIT_ASSERT(!recordsFromRecorder(a).isOk());
    m = message("in", "127.0.0.1:1", "127.0.0.1:2", kInvite);
    m.erase("message");
    a["messages"] = Json::array({m});
    CPPUNIT_ASSERT(!recordsFromRecorder(a).isOk());
    m = message("in", "127.0.0.1:1", "127.0.0.1:2", kInvite);
    m["message_b64"] = "not base64!";
    a["messages"] = Json::array({m});
    CPPUNIT_ASSERT(recordsFromRecorder(a).status().message().find("message_b64") !=
                   std::string::npos);
  }

  // A message that is not UTF-8 comes from message_b64, byte-exact (message is its lossy view).
  void binaryMessageComesFromBase64() {
    const std::string bytes = std::string(kInvite) + std::string("\x01\xff\x80", 3);
    Json m = message("in", "127.0.0.1:1", "127.0.0.1:2", kInvite);
    m["message_b64"] = base64Encode(bytes);
    Json a = Json::object();
    a["messages"] = Json::array({m});
    Result<std::vector<trace::Record>> r = recordsFromRecorder(a);
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT(r.value()[0].message == bytes);
  }

  void serverColumnsAreNamed() {
    Json a = Json::object();
    a["messages"] = Json::array({message("in", "192.0.2.1:5062", "127.0.0.1:5060", kInvite),
                                 message("out", "127.0.0.1:5060", "192.0.2.1:5062", kTrying)});
    std::string text = ladderText(recordsFromRecorder(a).value());
    CPPUNIT_ASSERT(text.find("sipline") != std::string::npos);
    CPPUNIT_ASSERT(text.find("127.0.0.1:5060") == std::string::npos);
    CPPUNIT_ASSERT(text.find("INVITE") != std::string::npos);
    // Two server sockets: told apart by port.
    a["messages"].push_back(message("out", "127.0.0.1:5061", "192.0.2.9:5060", kInvite));
    text = ladderText(recordsFromRecorder(a).value());
    CPPUNIT_ASSERT(text.find("sipline:5060") != std::string::npos);
    CPPUNIT_ASSERT(text.find("sipline:5061") != std::string::npos);
    CPPUNIT_ASSERT(ladderText({}).empty());
  }

  void sipTraceRowsBecomeRecords() {
    CannedDb db(traceRows({
        Cells{"1800000000000001", "udp", "192.0.2.1", "5062", "udp", "127.0.0.1", "5060", "in",
              std::string(kInvite)},
        Cells{"1800000000000200", "tcp", "127.0.0.1", "5060", "tcp", "2001:db8::1", "5070", "out",
              std::string(kTrying)},
    }));
    Result<std::vector<trace::Record>> r = recordsFromDb(db, "c1");
    CPPUNIT_ASSERT(r.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, r.value().size());
    CPPUNIT_ASSERT(std::get<std::string>(db.params_[0]) == "c1");
    CPPUNIT_ASSERT(db.sql_.find("FROM \"sip_trace\" WHERE callid = $1") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1800000000000001}, r.value()[0].time_us);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1:5062"), r.value()[0].src.toString());
    CPPUNIT_ASSERT(r.value()[1].outgoing && r.value()[1].proto == Proto::kTcp);
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]:5070"), r.value()[1].dst.toString());
    // Rows that cannot be read are named; a DB error comes back as it is.
    CannedDb bad(traceRows({Cells{"1", "sctp", "192.0.2.1", "5062", "udp", "127.0.0.1", "5060",
                                  "in", std::string(kInvite)}}));
    CPPUNIT_ASSERT(recordsFromDb(bad, "c1").status().message().find("row 1") != std::string::npos);
    CannedDb badport(traceRows({Cells{"1", "udp", "192.0.2.1", "70000", "udp", "127.0.0.1", "5060",
                                      "in", std::string(kInvite)}}));
    CPPUNIT_ASSERT(!recordsFromDb(badport, "c1").isOk());
    CannedDb badip(traceRows({Cells{"1", "udp", "host", "5062", "udp", "127.0.0.1", "5060", "in",
                                    std::string(kInvite)}}));
    CPPUNIT_ASSERT(!recordsFromDb(badip, "c1").isOk());
    db.fail_ = true;
    CPPUNIT_ASSERT(recordsFromDb(db, "c1").status().code() == Code::kUnavailable);
  }

  void commandLineOfTrace() {
    Result<Invocation> inv = parseArgs({"trace", "abc@host", "--pcap", "/tmp/x.pcap"});
    CPPUNIT_ASSERT(inv.isOk());
    CPPUNIT_ASSERT(inv.value().command == Command::kTrace);
    CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x.pcap"), inv.value().pcap_file);
    CPPUNIT_ASSERT(isManagementCommand(Command::kTrace));
    CPPUNIT_ASSERT(!parseArgs({"trace"}).isOk());              // no Call-ID
    CPPUNIT_ASSERT(!parseArgs({"trace", "a", "b"}).isOk());    // two
    CPPUNIT_ASSERT(!parseArgs({"ps", "--pcap", "f"}).isOk());  // not an option of ps
    inv = parseArgs({"trace", "--db", "abc@host"});
    CPPUNIT_ASSERT(inv.isOk() && inv.value().trace_db);
    CPPUNIT_ASSERT_EQUAL(std::string("sip_trace"), inv.value().trace_table);
    CPPUNIT_ASSERT(!parseArgs({"ps", "--db"}).isOk());
    inv = parseArgs({"trace", "--db", "--table", "trace_2026", "abc@host"});
    CPPUNIT_ASSERT(inv.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("trace_2026"), inv.value().trace_table);
    CPPUNIT_ASSERT(!parseArgs({"trace", "--table", "x", "abc"}).isOk());            // without --db
    CPPUNIT_ASSERT(!parseArgs({"trace", "--db", "--table", "a;b", "abc"}).isOk());  // not plain
    CPPUNIT_ASSERT(!parseArgs({"trace", "--pcap", "", "abc"}).isOk());
    CPPUNIT_ASSERT(!parseArgs({"trace", "--json", "--pcap", "f", "abc"}).isOk());
  }

  // An empty Call-ID would select every message of the flight recorder: refused in every
  // form, as a usage error (kInvalidArgument, exit status 2).
  void emptyCallIdIsAUsageError() {
    const std::vector<std::vector<std::string>> forms = {
        {"trace", ""},           {"trace", "", "--pcap", "/tmp/x.pcap"},
        {"trace", "--db", ""},   {"trace", "--db", "--table", "t", "--", ""},
        {"--json", "trace", ""},
    };
    for (const std::vector<std::string>& args : forms) {
      Result<Invocation> inv = parseArgs(args);
      CPPUNIT_ASSERT(!inv.isOk());
      CPPUNIT_ASSERT(inv.status().code() == Code::kInvalidArgument);
      CPPUNIT_ASSERT_EQUAL(std::string("trace: the CALL-ID is empty; give the Call-ID of one call"),
                           inv.status().message());
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(TraceViewTest);

}  // namespace sipline::ctl
