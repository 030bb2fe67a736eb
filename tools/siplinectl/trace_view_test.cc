// siplinectl trace: the flight recorder's answer to Records (and its malformed forms), the
// server's columns named in the ladder, and the command line of `trace`.
#include "tools/siplinectl/trace_view.h"

#include <cppunit/extensions/HelperMacros.h>

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

const char kInvite[] = "INVITE sip:b@h SIP/2.0\r\nCall-ID: c1\r\n\r\n";
const char kTrying[] = "SIP/2.0 100 Trying\r\nCall-ID: c1\r\n\r\n";

}  // namespace

class TraceViewTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TraceViewTest);
  CPPUNIT_TEST(recorderAnswerBecomesRecords);
  CPPUNIT_TEST(malformedAnswersAreRefusedNamingTheEntry);
  CPPUNIT_TEST(serverColumnsAreNamed);
  CPPUNIT_TEST(commandLineOfTrace);
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

  void commandLineOfTrace() {
    Result<Invocation> inv = parseArgs({"trace", "abc@host", "--pcap", "/tmp/x.pcap"});
    CPPUNIT_ASSERT(inv.isOk());
    CPPUNIT_ASSERT(inv.value().command == Command::kTrace);
    CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x.pcap"), inv.value().pcap_file);
    CPPUNIT_ASSERT(isManagementCommand(Command::kTrace));
    CPPUNIT_ASSERT(!parseArgs({"trace"}).isOk());              // no Call-ID
    CPPUNIT_ASSERT(!parseArgs({"trace", "a", "b"}).isOk());    // two
    CPPUNIT_ASSERT(!parseArgs({"ps", "--pcap", "f"}).isOk());  // not an option of ps
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(TraceViewTest);

}  // namespace sipline::ctl
