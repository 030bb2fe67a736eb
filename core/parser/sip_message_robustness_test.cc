// Adversarial inputs for SipMessage and the value parsers: truncation, byte mutations, NULs,
// garbage, huge numbers, unbalanced quotes and brackets. The assertions are mostly "returns
// and stays in bounds" (run under ASan/UBSan); the fuzzer later does the same at scale.
#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/parser/sip_message.h"

namespace sipline {
namespace {

const char kInvite[] =
    "INVITE sip:bob@biloxi.example.com;transport=tcp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;rport, "
    "SIP/2.0/TCP [2001:db8::1]:5061;branch=z9hG4bK2;received=192.0.2.1\r\n"
    "Max-Forwards: 70\r\n"
    "To: \"Bob \\\"B\\\" <b>\" <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>;q=0.5, \"x,y\" <tel:+1234>\r\n"
    "Subject: folded\r\n continued\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\r\n";

// Calls every accessor and edit helper; returns a value derived from them so nothing is
// optimised away.
std::size_t exercise(SipMessage& msg) {
  std::size_t sum = msg.headers().size() + msg.body().size() + msg.callId().size();
  if (const SipUri* u = msg.requestUri()) sum += u->host.size();
  if (const std::vector<Via>* v = msg.vias()) sum += v->size();
  if (const Via* v = msg.topVia()) sum += v->branch.size();
  if (const NameAddr* f = msg.from()) sum += f->tag.size();
  if (const NameAddr* t = msg.to()) sum += t->display.size();
  if (const CSeq* c = msg.cseq()) sum += c->number;
  sum += static_cast<std::size_t>(msg.maxForwards() + 2);
  if (const HeaderField* h = msg.header(HeaderType::kContact)) {
    std::vector<NameAddr> contacts;
    if (parseNameAddrList(h->body, contacts) == ParseError::kOk) sum += contacts.size();
  }
  if (msg.header("subject") != nullptr) ++sum;
  msg.removeTopVia();
  msg.replaceRequestUri("sip:x@y");
  msg.appendHeader("X: 1\r\n");
  std::string out;
  if (msg.build(out)) {
    SipMessage again;
    if (again.parse(out) == ParseError::kOk) sum += again.headers().size();
  }
  return sum;
}

// Deterministic generator (no <random> distributions: their output differs between libraries).
struct Lcg {
  std::uint64_t state;
  std::uint32_t next() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::uint32_t>(state >> 33);
  }
};

}  // namespace

class SipMessageRobustnessTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SipMessageRobustnessTest);
  CPPUNIT_TEST(everyPrefixIsSafe);
  CPPUNIT_TEST(singleByteMutationsAreSafe);
  CPPUNIT_TEST(garbageIsRejected);
  CPPUNIT_TEST(hugeInputsHitLimits);
  CPPUNIT_TEST(hugeNumbersAreRejected);
  CPPUNIT_TEST(unbalancedQuotesAndBrackets);
  CPPUNIT_TEST(nulBytesStayInViews);
  CPPUNIT_TEST(randomTokenSoupIsSafe);
  CPPUNIT_TEST_SUITE_END();

 public:
  void everyPrefixIsSafe() {
    const std::string full(kInvite);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(full) == ParseError::kOk);
    CPPUNIT_ASSERT(exercise(msg) > 0);
    for (std::size_t n = 0; n < full.size(); ++n) {
      // An exact-size heap copy, so ASan catches a read one past the end.
      std::vector<char> buf(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      SipMessage m;
      const ParseError e = m.parse(std::string_view(buf.data(), buf.size()));
      // Content-Length is 4 of the 5 body bytes: only the last prefix is complete.
      CPPUNIT_ASSERT((e == ParseError::kOk) == (n == full.size() - 1));
      exercise(m);
    }
  }

  void singleByteMutationsAreSafe() {
    const std::string full(kInvite);
    const char specials[] = {'\0', '\r', '\n', ' ', '\t', ':', ';',
                             ',',  '"',  '<',  '>', '[',  ']', '\\',
                             '%',  '@',  '=',  '?', '/',  '9', static_cast<char>(0xff)};
    std::size_t ok = 0;
    for (std::size_t i = 0; i < full.size(); ++i) {
      for (char c : specials) {
        std::vector<char> buf(full.begin(), full.end());
        buf[i] = c;
        SipMessage m;
        if (m.parse(std::string_view(buf.data(), buf.size())) == ParseError::kOk) ++ok;
        exercise(m);
      }
    }
    CPPUNIT_ASSERT(ok > 0);
  }

  void garbageIsRejected() {
    Lcg rng{42};
    std::vector<char> buf(65535);
    for (int round = 0; round < 8; ++round) {
      for (char& c : buf) c = static_cast<char>(rng.next());
      SipMessage m;
      CPPUNIT_ASSERT(m.parse(std::string_view(buf.data(), buf.size())) != ParseError::kOk);
      exercise(m);
    }
    SipMessage m;
    const std::string crlfs(65535, '\n');
    CPPUNIT_ASSERT(m.parse(crlfs) == ParseError::kEmpty);
    const std::string letters(65535, 'a');
    CPPUNIT_ASSERT(m.parse(letters) == ParseError::kNoHeaderEnd);
    const std::string nuls(65535, '\0');
    CPPUNIT_ASSERT(m.parse(nuls) == ParseError::kNoHeaderEnd);
    CPPUNIT_ASSERT(m.parse(std::string_view()) == ParseError::kEmpty);
  }

  void hugeInputsHitLimits() {
    SipMessage m;
    const std::string line = "OPTIONS sip:u@h SIP/2.0\r\n";
    std::string many = line;
    while (many.size() < 60000) many += "Xy: a\r\n";
    many += "\r\n";
    CPPUNIT_ASSERT(m.parse(many) == ParseError::kTooManyHeaders);
    std::string folded = line + "X: a\r\n";
    while (folded.size() < 60000) folded += " b\r\n";
    folded += "\r\n";
    CPPUNIT_ASSERT(m.parse(folded) == ParseError::kHeaderTooLong);
    const std::string too_big(70000, 'a');
    CPPUNIT_ASSERT(m.parse(too_big) == ParseError::kTooLarge);
    ParseLimits unlimited;
    unlimited.max_message = 1 << 20;
    unlimited.max_headers = 1 << 20;
    unlimited.max_header_len = 1 << 20;
    CPPUNIT_ASSERT(m.parse(many, unlimited) == ParseError::kMissingVia);
    CPPUNIT_ASSERT(m.headerCount(HeaderType::kOther) > 8000);
  }

  void hugeNumbersAreRejected() {
    const std::string digits(5000, '9');
    const std::string head =
        "OPTIONS sip:u@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>\r\n"
        "Call-ID: c\r\n";
    SipMessage m;
    CPPUNIT_ASSERT(m.parse(head + "CSeq: " + digits + " OPTIONS\r\n\r\n") == ParseError::kBadCSeq);
    CPPUNIT_ASSERT(m.parse(head + "CSeq: 1 OPTIONS\r\nl: " + digits + "\r\n\r\n") ==
                   ParseError::kBadContentLength);
    CPPUNIT_ASSERT(m.parse(head + "CSeq: 1 OPTIONS\r\nl: 4294967296\r\n\r\n") ==
                   ParseError::kBadContentLength);
    CPPUNIT_ASSERT(m.parse(head + "CSeq: 1 OPTIONS\r\nl: 4294967295\r\n\r\n") ==
                   ParseError::kBodyTruncated);
    const std::string mf = head + "CSeq: 1 OPTIONS\r\nMax-Forwards: " + digits + "\r\n\r\n";
    CPPUNIT_ASSERT(m.parse(mf) == ParseError::kOk);  // mf outlives m's use below
    CPPUNIT_ASSERT_EQUAL(-2, m.maxForwards());
    const std::string bad_port = "OPTIONS sip:u@h:" + digits +
                                 " SIP/2.0\r\nVia: SIP/2.0/UDP h:" + digits +
                                 "\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>\r\nCall-ID: c\r\n"
                                 "CSeq: 1 OPTIONS\r\n\r\n";
    CPPUNIT_ASSERT(m.parse(bad_port) == ParseError::kOk);
    CPPUNIT_ASSERT(m.requestUri() == nullptr);
    CPPUNIT_ASSERT(m.vias() == nullptr);
    const std::string status = "SIP/2.0 " + digits + " OK\r\n\r\n";
    CPPUNIT_ASSERT(m.parse(status) == ParseError::kBadStatusCode);
  }

  void unbalancedQuotesAndBrackets() {
    const char* values[] = {"\"",
                            "\"\\",
                            "\"abc",
                            "<",
                            "<sip:a@b",
                            ">",
                            "<<sip:a@b>>",
                            "\"a\" <sip:a@b",
                            "sip:a@b>",
                            "<sip:a@b>;p=\"x",
                            "\"\\\"<sip:a@b>",
                            "<sip:a@b>;tag=\"a\\\"",
                            "<sip:[::1>",
                            "<sip:a@[::1>"};
    for (const char* v : values) {
      NameAddr na;
      CPPUNIT_ASSERT_MESSAGE(v, parseNameAddr(v, na) != ParseError::kOk);
      std::vector<NameAddr> list;
      CPPUNIT_ASSERT_MESSAGE(v, parseNameAddrList(v, list) != ParseError::kOk);
      const std::string m = std::string("OPTIONS sip:u@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: ") +
                            v + "\r\nFrom: " + v + "\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
      SipMessage msg;
      CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
      CPPUNIT_ASSERT(msg.to() == nullptr && msg.from() == nullptr);
    }
  }

  void nulBytesStayInViews() {
    std::string m =
        "OPTIONS sip:u@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: <sip:b@h>\r\nFrom: <sip:a@h>\r\n"
        "Call-ID: c@@\r\nCSeq: 1 OPTIONS\r\nX-Nul: a@b\r\n\r\nbody@end";
    for (char& c : m) {
      if (c == '@' && (&c > &m[90])) c = '\0';
    }
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, msg.callId().size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, msg.header("x-nul")->body.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t{8}, msg.body().size());
    std::string bad_name = m;
    bad_name[m.find("X-Nul")] = '\0';
    CPPUNIT_ASSERT(msg.parse(bad_name) == ParseError::kBadHeader);
  }

  void randomTokenSoupIsSafe() {
    const char* pieces[] = {"INVITE",  "SIP/2.0",
                            " ",       "\r\n",
                            "\n",      ":",
                            ";",       ",",
                            "\"",      "\\",
                            "<",       ">",
                            "sip:",    "@",
                            "[",       "]",
                            "::1",     "Via",
                            "v",       "To",
                            "From",    "Call-ID",
                            "CSeq",    "Content-Length",
                            "l",       "Max-Forwards",
                            "1",       "999999999999",
                            "branch=", "tag=",
                            "rport",   "SIP/2.0/UDP",
                            "\t",      "h.example",
                            "%",       "%4",
                            "\0",      "=",
                            "?",       "/",
                            "200",     "OK"};
    const std::size_t n = sizeof(pieces) / sizeof(pieces[0]);
    Lcg rng{7};
    std::size_t ok = 0;
    for (int round = 0; round < 20000; ++round) {
      std::string m = (round % 2 == 0) ? "INVITE sip:a@b SIP/2.0\r\n" : "SIP/2.0 200 OK\r\n";
      const std::uint32_t len = rng.next() % 60;
      for (std::uint32_t i = 0; i < len; ++i) {
        const char* p = pieces[rng.next() % n];
        m += (p[0] == '\0') ? std::string(1, '\0') : std::string(p);
      }
      if (rng.next() % 2 == 0) m += "\r\n\r\n";
      std::vector<char> buf(m.begin(), m.end());
      SipMessage msg;
      if (msg.parse(std::string_view(buf.data(), buf.size())) == ParseError::kOk) ++ok;
      exercise(msg);
    }
    CPPUNIT_ASSERT(ok < 20000);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SipMessageRobustnessTest);

}  // namespace sipline
