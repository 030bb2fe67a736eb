// Tests of SipMessage::parse(): first line, header index, mandatory headers, framing, and the
// lazy typed accessors.
#include "core/parser/sip_message.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>

namespace sipline {
namespace {

std::string s(std::string_view v) { return std::string(v); }

// Test messages are written with "\n"; this turns each into "\r\n".
std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

const char kInvite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8\n"
    "Max-Forwards: 70\n"
    "To: Bob <sip:bob@biloxi.example.com>\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\n"
    "Call-ID: a84b4c76e66710\n"
    "CSeq: 314159 INVITE\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 4\n"
    "\n"
    "v=0\n";

// Mandatory headers for building variants: "<first line>" + kBase + extra + "\n" + body.
const char kBase[] =
    "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
    "To: <sip:b@h>\n"
    "From: <sip:a@h>;tag=1\n"
    "Call-ID: c1\n";

}  // namespace

class SipMessageTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SipMessageTest);
  CPPUNIT_TEST(parsesRequest);
  CPPUNIT_TEST(parsesReply);
  CPPUNIT_TEST(acceptsEmptyReason);
  CPPUNIT_TEST(rejectsBadRequestLines);
  CPPUNIT_TEST(rejectsBadStatusLines);
  CPPUNIT_TEST(skipsLeadingLineEnds);
  CPPUNIT_TEST(acceptsBareLf);
  CPPUNIT_TEST(indexesCompactForms);
  CPPUNIT_TEST(foldedLinesBelongToPreviousHeader);
  CPPUNIT_TEST(findsHeadersByName);
  CPPUNIT_TEST(rejectsBadHeaderLines);
  CPPUNIT_TEST(reportsMissingMandatoryHeaders);
  CPPUNIT_TEST(rejectsRepeatedSingleHeaders);
  CPPUNIT_TEST(checksCSeq);
  CPPUNIT_TEST(framesBodyByContentLength);
  CPPUNIT_TEST(enforcesLimits);
  CPPUNIT_TEST(viasKeepOrderAcrossLines);
  CPPUNIT_TEST(badViaMakesViasNull);
  CPPUNIT_TEST(parsesFromToLazily);
  CPPUNIT_TEST(parsesMaxForwards);
  CPPUNIT_TEST(reparseResetsState);
  CPPUNIT_TEST(errorTextsAreShortPhrases);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesRequest() {
    const std::string m = crlf(kInvite);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.isRequest() && !msg.isReply());
    CPPUNIT_ASSERT(msg.method() == Method::kInvite);
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE"), s(msg.methodText()));
    CPPUNIT_ASSERT_EQUAL(std::string("sip:bob@biloxi.example.com"), s(msg.requestUriText()));
    CPPUNIT_ASSERT(msg.requestUriText().data() == m.data() + 7);
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0"), s(msg.version()));
    CPPUNIT_ASSERT_EQUAL(std::string("INVITE sip:bob@biloxi.example.com SIP/2.0"),
                         s(msg.firstLine()));
    CPPUNIT_ASSERT_EQUAL(std::size_t{9}, msg.headers().size());
    CPPUNIT_ASSERT_EQUAL(std::string("a84b4c76e66710"), s(msg.callId()));
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r"), s(msg.body()));
    CPPUNIT_ASSERT_EQUAL(m.find("\r\n\r\n") + 2, msg.headersEnd());
    const CSeq* cs = msg.cseq();
    CPPUNIT_ASSERT(cs != nullptr);
    CPPUNIT_ASSERT_EQUAL(314159u, cs->number);
    CPPUNIT_ASSERT(cs->method == Method::kInvite);
    const SipUri* ruri = msg.requestUri();
    CPPUNIT_ASSERT(ruri != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("biloxi.example.com"), s(ruri->host));
    CPPUNIT_ASSERT(msg.requestUri() == ruri);  // cached
    const HeaderField* via = msg.header(HeaderType::kVia);
    CPPUNIT_ASSERT(via != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("Via"), s(via->name));
    CPPUNIT_ASSERT_EQUAL(std::string("SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8"),
                         s(via->body));
    CPPUNIT_ASSERT_EQUAL(std::string("Via: SIP/2.0/UDP pc33.atlanta.example.com;branch="
                                     "z9hG4bKnashds8\r\n"),
                         s(via->raw));
  }

  void parsesReply() {
    const std::string m = crlf(std::string("SIP/2.0 180 Ringing here\n") + kBase +
                               "CSeq: 7 INVITE\nContent-Length: 0\n\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.isReply() && !msg.isRequest());
    CPPUNIT_ASSERT_EQUAL(180, msg.statusCode());
    CPPUNIT_ASSERT_EQUAL(std::string("Ringing here"), s(msg.reason()));
    CPPUNIT_ASSERT(msg.method() == Method::kInvite);  // from CSeq
    CPPUNIT_ASSERT(msg.methodText().empty());
    CPPUNIT_ASSERT(msg.requestUri() == nullptr);
    CPPUNIT_ASSERT(msg.body().empty());
    const std::string lower = crlf(std::string("sip/2.0 200 OK\n") + kBase + "CSeq: 7 BYE\n\n");
    CPPUNIT_ASSERT(msg.parse(lower) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.method() == Method::kBye);
  }

  void acceptsEmptyReason() {
    // RFC 4475 noreason: "SIP/2.0 100 " with the SP present.
    SipMessage msg;
    const std::string a = crlf(std::string("SIP/2.0 100 \n") + kBase + "CSeq: 1 INVITE\n\n");
    CPPUNIT_ASSERT(msg.parse(a) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.reason().empty());
    const std::string b = crlf(std::string("SIP/2.0 100\n") + kBase + "CSeq: 1 INVITE\n\n");
    CPPUNIT_ASSERT(msg.parse(b) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(100, msg.statusCode());
  }

  void rejectsBadRequestLines() {
    struct Case {
      const char* line;
      ParseError want;
    } cases[] = {
        {"OPTIONS  sip:u@h SIP/2.0", ParseError::kBadFirstLine},  // RFC 4475 lwsstart
        {"OPTIONS sip:u@h SIP/2.0 ", ParseError::kBadFirstLine},  // RFC 4475 trws
        {"OPTIONS sip:u@h SIP/7.0", ParseError::kBadVersion},     // RFC 4475 badvers
        {"OPTIONS sip:u@h SIP/2.00", ParseError::kBadVersion},
        {"OPTIONS sip:u@h HTTP/1.1", ParseError::kBadFirstLine},
        {"OPTIONS sip:u@h", ParseError::kBadFirstLine},
        {"OPTIONS", ParseError::kBadFirstLine},
        {" OPTIONS sip:u@h SIP/2.0", ParseError::kBadFirstLine},
        {"OPT<IONS sip:u@h SIP/2.0", ParseError::kBadFirstLine},
        {"OPTIONS sip:u@h extra SIP/2.0", ParseError::kBadFirstLine},
    };
    for (const Case& c : cases) {
      const std::string m = crlf(std::string(c.line) + "\n" + kBase + "CSeq: 1 OPTIONS\n\n");
      SipMessage msg;
      CPPUNIT_ASSERT_MESSAGE(c.line, msg.parse(m) == c.want);
    }
    SipMessage msg;
    const std::string lower =
        crlf(std::string("OPTIONS sip:u@h sip/2.0\n") + kBase + "CSeq: 1 OPTIONS\n\n");
    CPPUNIT_ASSERT(msg.parse(lower) == ParseError::kOk);
  }

  void rejectsBadStatusLines() {
    const char* lines[] = {"SIP/2.0 4294967301 Bad Code",  // RFC 4475 bigcode
                           "SIP/2.0 099 Low",
                           "SIP/2.0 700 High",
                           "SIP/2.0 20 OK",
                           "SIP/2.0 2000 OK",
                           "SIP/2.0 20x OK",
                           "SIP/2.0  200 OK",
                           "SIP/2.0 OK"};
    for (const char* line : lines) {
      const std::string m = crlf(std::string(line) + "\n" + kBase + "CSeq: 1 INVITE\n\n");
      SipMessage msg;
      CPPUNIT_ASSERT_MESSAGE(line, msg.parse(m) == ParseError::kBadStatusCode);
    }
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(crlf(std::string("SIP/3.0 200 OK\n") + kBase + "CSeq: 1 A\n\n")) ==
                   ParseError::kBadVersion);
    CPPUNIT_ASSERT(msg.parse("SIP/2.0\r\n\r\n") == ParseError::kBadFirstLine);
  }

  void skipsLeadingLineEnds() {
    const std::string m = "\r\n\r\n\n" + crlf(kInvite);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.method() == Method::kInvite);
    CPPUNIT_ASSERT(msg.parse("\r\n\r\n") == ParseError::kEmpty);
    CPPUNIT_ASSERT(msg.parse("") == ParseError::kEmpty);
  }

  void acceptsBareLf() {
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\n"), s(msg.body()));
    CPPUNIT_ASSERT_EQUAL(std::string("70"), s(msg.header(HeaderType::kMaxForwards)->body));
    CPPUNIT_ASSERT_EQUAL(std::string("Max-Forwards: 70\n"),
                         s(msg.header(HeaderType::kMaxForwards)->raw));
  }

  void indexesCompactForms() {
    const std::string m = crlf(
        "MESSAGE sip:u@h SIP/2.0\n"
        "v: SIP/2.0/UDP h;branch=z9hG4bK1\nt: <sip:b@h>\nf: <sip:a@h>;tag=1\ni: cid\n"
        "CSeq: 1 MESSAGE\nm: <sip:a@c>\nl: 2\nc: text/plain\ne: gzip\ns: hi\nk: path\n"
        "o: presence\nr: <sip:x@y>\nb: <sip:z@y>\nu: dialog\nX-Custom: 1\n\nhi");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const HeaderType want[] = {
        HeaderType::kVia,           HeaderType::kTo,          HeaderType::kFrom,
        HeaderType::kCallId,        HeaderType::kCSeq,        HeaderType::kContact,
        HeaderType::kContentLength, HeaderType::kContentType, HeaderType::kContentEncoding,
        HeaderType::kSubject,       HeaderType::kSupported,   HeaderType::kEvent,
        HeaderType::kReferTo,       HeaderType::kReferredBy,  HeaderType::kAllowEvents,
        HeaderType::kOther};
    CPPUNIT_ASSERT_EQUAL(sizeof(want) / sizeof(want[0]), msg.headers().size());
    for (std::size_t i = 0; i < msg.headers().size(); ++i) {
      CPPUNIT_ASSERT_MESSAGE(s(msg.headers()[i].name), msg.headers()[i].type == want[i]);
    }
    CPPUNIT_ASSERT_EQUAL(std::string("cid"), s(msg.callId()));
    CPPUNIT_ASSERT_EQUAL(std::string("hi"), s(msg.body()));
    CPPUNIT_ASSERT(msg.method() == Method::kMessage);
  }

  void foldedLinesBelongToPreviousHeader() {
    const std::string m = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase +
                               "Subject: first\n  second\n\tthird\nCSeq: 1\n OPTIONS\n\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const HeaderField* subj = msg.header(HeaderType::kSubject);
    CPPUNIT_ASSERT(subj != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("first\r\n  second\r\n\tthird"), s(subj->body));
    CPPUNIT_ASSERT_EQUAL(std::string("Subject: first\r\n  second\r\n\tthird\r\n"), s(subj->raw));
    CPPUNIT_ASSERT_EQUAL(std::size_t{6}, msg.headers().size());
    CPPUNIT_ASSERT(msg.cseq()->method == Method::kOptions);
    // An empty header body is fine (RFC 4475 wsinv "s :").
    const std::string e =
        crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase + "s :\nCSeq: 1 OPTIONS\n\n");
    CPPUNIT_ASSERT(msg.parse(e) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.header(HeaderType::kSubject)->body.empty());
  }

  void findsHeadersByName() {
    const std::string m = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase +
                               "CSeq: 1 OPTIONS\nX-Foo : bar\nx-foo: second\n\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.header("call-id") == msg.header(HeaderType::kCallId));
    CPPUNIT_ASSERT(msg.header("i") == msg.header(HeaderType::kCallId));
    CPPUNIT_ASSERT(msg.header("V") == msg.header(HeaderType::kVia));
    CPPUNIT_ASSERT(msg.header("x-FOO") != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("bar"), s(msg.header("X-FOO")->body));
    CPPUNIT_ASSERT_EQUAL(std::string("X-Foo"), s(msg.header("X-FOO")->name));
    CPPUNIT_ASSERT(msg.header("X-Bar") == nullptr);
    CPPUNIT_ASSERT(msg.header(HeaderType::kRoute) == nullptr);
    CPPUNIT_ASSERT(msg.header(HeaderType::kCount) == nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, msg.headerCount(HeaderType::kOther));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, msg.headerCount(HeaderType::kVia));
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, msg.headerCount(HeaderType::kRoute));
  }

  void rejectsBadHeaderLines() {
    const char* extras[] = {" folded-without-header\n", "NoColon\n", "Bad Name: x\n",
                            ": empty name\n", "Na<me: x\n"};
    for (const char* extra : extras) {
      const std::string m =
          crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + extra + kBase + "CSeq: 1 OPTIONS\n\n");
      SipMessage msg;
      CPPUNIT_ASSERT_MESSAGE(extra, msg.parse(m) == ParseError::kBadHeader);
    }
    SipMessage msg;
    const std::string no_end =
        crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase + "CSeq: 1 OPTIONS\n");
    CPPUNIT_ASSERT(msg.parse(no_end) == ParseError::kNoHeaderEnd);
    CPPUNIT_ASSERT(msg.parse("OPTIONS sip:u@h SIP/2.0") == ParseError::kNoHeaderEnd);
    CPPUNIT_ASSERT(msg.parse("OPTIONS sip:u@h SIP/2.0\r\nVia") == ParseError::kNoHeaderEnd);
  }

  void reportsMissingMandatoryHeaders() {
    struct Case {
      const char* headers;
      ParseError want;
    } cases[] = {
        {"To: <sip:b@h>\nFrom: <sip:a@h>\nCall-ID: c\nCSeq: 1 OPTIONS\n", ParseError::kMissingVia},
        {"Via: SIP/2.0/UDP h\nTo: <sip:b@h>\nFrom: <sip:a@h>\nCSeq: 1 OPTIONS\n",
         ParseError::kMissingCallId},
        {"Via: SIP/2.0/UDP h\nTo: <sip:b@h>\nFrom: <sip:a@h>\nCall-ID:  \nCSeq: 1 OPTIONS\n",
         ParseError::kMissingCallId},
        {"Via: SIP/2.0/UDP h\nTo: <sip:b@h>\nFrom: <sip:a@h>\nCall-ID: c\n",
         ParseError::kMissingCSeq},
        {"Via: SIP/2.0/UDP h\nTo: <sip:b@h>\nCall-ID: c\nCSeq: 1 OPTIONS\n",
         ParseError::kMissingFrom},
        {"Via: SIP/2.0/UDP h\nFrom: <sip:a@h>\nCall-ID: c\nCSeq: 1 OPTIONS\n",
         ParseError::kMissingTo},
    };
    for (const Case& c : cases) {
      const std::string m = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + c.headers + "\n");
      SipMessage msg;
      CPPUNIT_ASSERT_MESSAGE(c.headers, msg.parse(m) == c.want);
    }
  }

  void rejectsRepeatedSingleHeaders() {
    // RFC 4475 multi01 and mcl01
    struct Case {
      const char* extra;
      ParseError want;
    } cases[] = {
        {"Call-ID: c2\n", ParseError::kBadHeader},
        {"CSeq: 1 OPTIONS\n", ParseError::kBadCSeq},
        {"f: <sip:x@h>\n", ParseError::kBadFrom},
        {"To: <sip:y@h>\n", ParseError::kBadTo},
        {"Content-Length: 0\nl: 0\n", ParseError::kBadContentLength},
    };
    for (const Case& c : cases) {
      const std::string m = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase +
                                 "CSeq: 1 OPTIONS\n" + c.extra + "\n");
      SipMessage msg;
      CPPUNIT_ASSERT_MESSAGE(c.extra, msg.parse(m) == c.want);
    }
  }

  void checksCSeq() {
    struct Case {
      const char* method;
      const char* cseq;
      ParseError want;
    } cases[] = {
        {"OPTIONS", "8 INVITE", ParseError::kCSeqMethodMismatch},  // RFC 4475 mismatch01
        {"NEWMETHOD", "8 INVITE", ParseError::kCSeqMethodMismatch},
        {"OPTIONS", "8 options", ParseError::kCSeqMethodMismatch},  // methods are case-sensitive
        {"ACK", "8 ACK", ParseError::kOk},
        {"CANCEL", "8 CANCEL", ParseError::kOk},
        {"ACK", "8 INVITE", ParseError::kCSeqMethodMismatch},
        {"OPTIONS", "2147483647 OPTIONS", ParseError::kOk},
        {"OPTIONS", "2147483648 OPTIONS", ParseError::kBadCSeq},
        {"OPTIONS", "36893488147419103232 OPTIONS", ParseError::kBadCSeq},  // RFC 4475 scalar02
        {"OPTIONS", "0009 OPTIONS", ParseError::kOk},
        {"OPTIONS", "OPTIONS", ParseError::kBadCSeq},
        {"OPTIONS", "8", ParseError::kBadCSeq},
        {"OPTIONS", "8OPTIONS", ParseError::kBadCSeq},
        {"OPTIONS", "-8 OPTIONS", ParseError::kBadCSeq},
        {"OPTIONS", "8 OPTIONS x", ParseError::kBadCSeq},
        {"OPTIONS", "", ParseError::kBadCSeq},
    };
    for (const Case& c : cases) {
      const std::string m =
          crlf(std::string(c.method) + " sip:u@h SIP/2.0\n" + kBase + "CSeq: " + c.cseq + "\n\n");
      SipMessage msg;
      CPPUNIT_ASSERT_MESSAGE(c.cseq, msg.parse(m) == c.want);
    }
    SipMessage msg;
    const std::string m =
        crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase + "CSeq: 0009 OPTIONS\n\n");
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(9u, msg.cseq()->number);
    CPPUNIT_ASSERT_EQUAL(std::string("OPTIONS"), s(msg.cseq()->method_text));
  }

  void framesBodyByContentLength() {
    const std::string head = std::string("MESSAGE sip:u@h SIP/2.0\n") + kBase + "CSeq: 1 MESSAGE\n";
    SipMessage msg;
    const std::string shorter = crlf(head + "Content-Length: 5\n\n") + "hello extra bytes";
    CPPUNIT_ASSERT(msg.parse(shorter) == ParseError::kOk);  // RFC 3261 §18.3
    CPPUNIT_ASSERT_EQUAL(std::string("hello"), s(msg.body()));
    // The excess is not part of the message, so it is never relayed.
    CPPUNIT_ASSERT_EQUAL(shorter.size() - std::string(" extra bytes").size(), msg.buffer().size());
    std::string built;
    CPPUNIT_ASSERT(msg.build(built));
    CPPUNIT_ASSERT_EQUAL(std::string("hello"), built.substr(built.size() - 5));
    const std::string longer = crlf(head + "Content-Length: 9999\n\n") + "short";  // clerr
    CPPUNIT_ASSERT(msg.parse(longer) == ParseError::kBodyTruncated);
    const std::string absent = crlf(head + "\n") + "all of it";
    CPPUNIT_ASSERT(msg.parse(absent) == ParseError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("all of it"), s(msg.body()));
    const char* bad[] = {"-999", "abc", "1 2", "", "99999999999999999999999999", "0x10"};
    for (const char* b : bad) {
      const std::string m = crlf(head + "Content-Length: " + b + "\n\n");
      CPPUNIT_ASSERT_MESSAGE(b, msg.parse(m) == ParseError::kBadContentLength);
    }
    const std::string zero = crlf(head + "l:0\n\n");
    CPPUNIT_ASSERT(msg.parse(zero) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.body().empty());
    CPPUNIT_ASSERT_EQUAL(zero.size() - 2, msg.headersEnd());
  }

  void enforcesLimits() {
    const std::string m = crlf(kInvite);
    SipMessage msg;
    ParseLimits small;
    small.max_message = m.size() - 1;
    CPPUNIT_ASSERT(msg.parse(m, small) == ParseError::kTooLarge);
    small = ParseLimits();
    small.max_headers = 8;
    CPPUNIT_ASSERT(msg.parse(m, small) == ParseError::kTooManyHeaders);
    small.max_headers = 9;
    CPPUNIT_ASSERT(msg.parse(m, small) == ParseError::kOk);
    small.max_header_len = 60;
    CPPUNIT_ASSERT(msg.parse(m, small) == ParseError::kHeaderTooLong);
    const std::string big = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase +
                                 "CSeq: 1 OPTIONS\nX: " + std::string(20000, 'a') + "\n\n");
    CPPUNIT_ASSERT(msg.parse(big) == ParseError::kHeaderTooLong);
    const std::string folded = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase +
                                    "CSeq: 1 OPTIONS\nX: a\n" + std::string(20000, ' ') + "\n\n");
    CPPUNIT_ASSERT(msg.parse(folded) == ParseError::kHeaderTooLong);
  }

  void viasKeepOrderAcrossLines() {
    const std::string m = crlf(
        "SIP/2.0 200 OK\n"
        "Via: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2\n"
        "To: <sip:b@h>;tag=2\nFrom: <sip:a@h>;tag=1\nCall-ID: c\n"
        "v: SIP/2.0/UDP c;branch=z9hG4bK3;rport=5000;received=[2001:db8::1]\n"
        "CSeq: 1 INVITE\n"
        "Via: SIP/2.0/UDP [2001:db8::2]:5062;rport;branch=z9hG4bK4\n\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const std::vector<Via>* v = msg.vias();
    CPPUNIT_ASSERT(v != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t{4}, v->size());
    const char* hosts[] = {"a", "b", "c", "[2001:db8::2]"};
    for (std::size_t i = 0; i < 4; ++i)
      CPPUNIT_ASSERT_EQUAL(std::string(hosts[i]), s((*v)[i].host));
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::1]"), s((*v)[2].received));
    CPPUNIT_ASSERT_EQUAL(std::string("5000"), s((*v)[2].rport_value));
    CPPUNIT_ASSERT((*v)[3].has_rport && (*v)[3].rport_value.empty());
    CPPUNIT_ASSERT_EQUAL(5062, static_cast<int>((*v)[3].port));
    CPPUNIT_ASSERT(msg.topVia() == &v->front());
    CPPUNIT_ASSERT_EQUAL(std::string("z9hG4bK1"), s(msg.topVia()->branch));
    CPPUNIT_ASSERT(msg.vias() == v);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, msg.headerCount(HeaderType::kVia));
  }

  void badViaMakesViasNull() {
    const std::string m = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase +
                               "CSeq: 1 OPTIONS\nVia: SIP/2.0/UDP 192.0.2.15;;,;,,\n\n");
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);  // Vias are parsed lazily
    CPPUNIT_ASSERT(msg.vias() == nullptr);
    CPPUNIT_ASSERT(msg.topVia() == nullptr);
    CPPUNIT_ASSERT(!msg.removeTopVia());
    CPPUNIT_ASSERT(msg.edits().empty());
  }

  void parsesFromToLazily() {
    const std::string m = crlf(kInvite);
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
    const NameAddr* from = msg.from();
    CPPUNIT_ASSERT(from != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("Alice"), s(from->display));
    CPPUNIT_ASSERT_EQUAL(std::string("1928301774"), s(from->tag));
    CPPUNIT_ASSERT_EQUAL(std::string("atlanta.example.com"), s(from->uri.host));
    const NameAddr* to = msg.to();
    CPPUNIT_ASSERT(to != nullptr);
    CPPUNIT_ASSERT(to->tag.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), s(to->uri.user));
    // RFC 4475 quotbal: parse() succeeds, to() reports the bad value.
    const std::string q = crlf(std::string("OPTIONS sip:u@h SIP/2.0\n") +
                               "Via: SIP/2.0/UDP h\nTo: \"Mr. J. User <sip:j.user@example.com>\n"
                               "From: <sip:a@h>;tag=1\nCall-ID: c\nCSeq: 1 OPTIONS\n\n");
    CPPUNIT_ASSERT(msg.parse(q) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.to() == nullptr);
    CPPUNIT_ASSERT(msg.from() != nullptr);
  }

  void parsesMaxForwards() {
    const std::string head = std::string("OPTIONS sip:u@h SIP/2.0\n") + kBase + "CSeq: 1 OPTIONS\n";
    struct Case {
      const char* extra;
      int want;
    } cases[] = {{"", -1},
                 {"Max-Forwards: 70\n", 70},
                 {"Max-Forwards: 0\n", 0},
                 {"MaX-fOrWaRdS: 0068\n", 68},
                 {"Max-Forwards: 300\n", 300},
                 {"Max-Forwards: 2147483647\n", 2147483647},
                 {"Max-Forwards: 2147483648\n", -2},
                 {"Max-Forwards: 18446744073709551616\n", -2},
                 {"Max-Forwards: -1\n", -2},
                 {"Max-Forwards: abc\n", -2},
                 {"Max-Forwards:\n", -2},
                 {"Max-Forwards: 70\nMax-Forwards: 5\n", -2}};
    for (const Case& c : cases) {
      const std::string m = crlf(head + c.extra + "\n");
      SipMessage msg;
      CPPUNIT_ASSERT(msg.parse(m) == ParseError::kOk);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(c.extra, c.want, msg.maxForwards());
      CPPUNIT_ASSERT_EQUAL(c.want, msg.maxForwards());  // cached
    }
  }

  void reparseResetsState() {
    SipMessage msg;
    const std::string a = crlf(kInvite);
    CPPUNIT_ASSERT(msg.parse(a) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.vias() != nullptr);
    CPPUNIT_ASSERT(msg.from() != nullptr);
    msg.appendHeader("X: 1\r\n");
    const std::string b = crlf(std::string("SIP/2.0 200 OK\n") + kBase + "CSeq: 2 BYE\n\n");
    CPPUNIT_ASSERT(msg.parse(b) == ParseError::kOk);
    CPPUNIT_ASSERT(msg.edits().empty());
    CPPUNIT_ASSERT(msg.isReply());
    CPPUNIT_ASSERT_EQUAL(std::string("h"), s(msg.topVia()->host));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), s(msg.from()->tag));
    CPPUNIT_ASSERT(msg.header(HeaderType::kContentType) == nullptr);
    CPPUNIT_ASSERT(msg.parse("garbage") != ParseError::kOk);
    CPPUNIT_ASSERT(msg.header(HeaderType::kVia) == nullptr);
    CPPUNIT_ASSERT(msg.cseq() == nullptr);
    CPPUNIT_ASSERT(msg.vias() == nullptr);
  }

  void errorTextsAreShortPhrases() {
    CPPUNIT_ASSERT_EQUAL(std::string("Bad CSeq"),
                         std::string(parseErrorText(ParseError::kBadCSeq)));
    for (int i = 0; i <= static_cast<int>(ParseError::kBadMaxForwards) + 1; ++i) {
      const char* t = parseErrorText(static_cast<ParseError>(i));
      CPPUNIT_ASSERT(t != nullptr && t[0] != '\0');
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SipMessageTest);

}  // namespace sipline
