// Writing pseudo-variables: $avp semantics, request-URI parts, $du, $fs, $bf, $var, and the
// load-time errors of resolvePvar.
#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "core/config/socket_spec.h"
#include "core/script/pvar.h"
#include "core/script/pvar_test_util.h"
#include "core/script/socket_lookup.h"
#include "core/transport/listener.h"

namespace sipline {

using pvartest::inviteText;
using pvartest::TestMsg;
using script::Value;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string resolveError(std::string_view text) {
  Result<script::PvarRef> r = script::resolvePvar(text);
  return r.isOk() ? std::string("(resolved)") : r.status().message();
}

// A UDP port that was free a moment ago.
std::uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

class PvarWriteTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PvarWriteTest);
  CPPUNIT_TEST(avpAssignmentAddsOnTop);
  CPPUNIT_TEST(avpIndexReadsOlderValues);
  CPPUNIT_TEST(avpIndexedAssignmentReplaces);
  CPPUNIT_TEST(avpNullDeletesTheNewest);
  CPPUNIT_TEST(avpIndexedNullDeletesThatValue);
  CPPUNIT_TEST(avpStarNullDeletesAllAndStarValueReplacesAll);
  CPPUNIT_TEST(avpStarReadsAllValues);
  CPPUNIT_TEST(avpKeepsItsOwnCopyOfMessageText);
  CPPUNIT_TEST(requestUriIsWritable);
  CPPUNIT_TEST(requestUriPartsAreWritable);
  CPPUNIT_TEST(badRequestUriPartsAreRefused);
  CPPUNIT_TEST(destinationUri);
  CPPUNIT_TEST(forcedSocketMustBeOneOfOurs);
  CPPUNIT_TEST(findListenerByTextMatchesCanonicalText);
  CPPUNIT_TEST(branchFlags);
  CPPUNIT_TEST(scriptVariables);
  CPPUNIT_TEST(readOnlyVariablesHaveNoSetter);
  CPPUNIT_TEST(resolveErrors);
  CPPUNIT_TEST(resolveAcceptsEveryForm);
  CPPUNIT_TEST_SUITE_END();

 public:
  void avpAssignmentAddsOnTop() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.isNull("avp(x)"));
    CPPUNIT_ASSERT(m.set("avp(x)", Value::integer(1)).isOk());
    CPPUNIT_ASSERT(m.set("avp(x)", Value::view("two")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("two"), m.str("avp(x)"));
    CPPUNIT_ASSERT_EQUAL(2, m.ctx().avps.count("x"));
    CPPUNIT_ASSERT(m.isNull("avp(y)"));  // names are separate
  }
  void avpIndexReadsOlderValues() {
    TestMsg m(inviteText());
    for (const char* v : {"a", "b", "c"}) CPPUNIT_ASSERT(m.set("avp(x)", Value::view(v)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("c"), m.str("avp(x)[0]"));
    CPPUNIT_ASSERT_EQUAL(std::string("b"), m.str("avp(x)[1]"));
    CPPUNIT_ASSERT_EQUAL(std::string("a"), m.str("avp(x)[2]"));
    CPPUNIT_ASSERT_EQUAL(std::string("a"), m.str("avp(x)[-1]"));   // the oldest
    CPPUNIT_ASSERT_EQUAL(std::string("b"), m.str("(avp(x)[1])"));  // OpenSIPS' grouping form
    CPPUNIT_ASSERT(m.isNull("avp(x)[3]"));
    CPPUNIT_ASSERT(m.isNull("avp(x)[-4]"));
  }
  void avpIndexedAssignmentReplaces() {
    TestMsg m(inviteText());
    for (const char* v : {"a", "b"}) CPPUNIT_ASSERT(m.set("avp(x)", Value::view(v)).isOk());
    CPPUNIT_ASSERT(m.set("avp(x)[1]", Value::view("A")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("A"), m.str("avp(x)[1]"));
    CPPUNIT_ASSERT_EQUAL(std::string("b"), m.str("avp(x)"));
    CPPUNIT_ASSERT_EQUAL(2, m.ctx().avps.count("x"));
    Status st = m.set("avp(x)[5]", Value::view("z"));
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "no value [5]"));
  }
  void avpNullDeletesTheNewest() {
    TestMsg m(inviteText());
    for (const char* v : {"a", "b"}) CPPUNIT_ASSERT(m.set("avp(x)", Value::view(v)).isOk());
    CPPUNIT_ASSERT(m.set("avp(x)", Value::null()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), m.str("avp(x)"));
    CPPUNIT_ASSERT(m.set("avp(x)", Value::null()).isOk());
    CPPUNIT_ASSERT(m.isNull("avp(x)"));
    CPPUNIT_ASSERT(m.set("avp(x)", Value::null()).isOk());  // nothing left: not an error
  }
  void avpIndexedNullDeletesThatValue() {
    TestMsg m(inviteText());
    for (const char* v : {"a", "b", "c"}) CPPUNIT_ASSERT(m.set("avp(x)", Value::view(v)).isOk());
    CPPUNIT_ASSERT(m.set("avp(x)[1]", Value::null()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("c, a"), m.str("avp(x)[*]"));
    CPPUNIT_ASSERT(m.set("avp(x)[-1]", Value::null()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("c"), m.str("avp(x)[*]"));
  }
  void avpStarNullDeletesAllAndStarValueReplacesAll() {
    TestMsg m(inviteText());
    for (const char* v : {"a", "b"}) CPPUNIT_ASSERT(m.set("avp(x)", Value::view(v)).isOk());
    CPPUNIT_ASSERT(m.set("avp(y)", Value::view("other")).isOk());
    CPPUNIT_ASSERT(m.set("avp(x)[*]", Value::integer(9)).isOk());
    CPPUNIT_ASSERT_EQUAL(1, m.ctx().avps.count("x"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{9}, m.num("avp(x)"));  // integers stay integers
    CPPUNIT_ASSERT(m.set("avp(x)[*]", Value::null()).isOk());
    CPPUNIT_ASSERT_EQUAL(0, m.ctx().avps.count("x"));
    CPPUNIT_ASSERT_EQUAL(std::string("other"), m.str("avp(y)"));
  }
  void avpStarReadsAllValues() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.isNull("avp(x)[*]"));
    CPPUNIT_ASSERT(m.set("avp(x)", Value::integer(1)).isOk());
    CPPUNIT_ASSERT(m.set("avp(x)", Value::view("two")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("two, 1"), m.str("avp(x)[*]"));
  }
  void avpKeepsItsOwnCopyOfMessageText() {
    TestMsg m(inviteText());
    std::string text = "temporary";
    CPPUNIT_ASSERT(m.set("avp(x)", Value::view(text)).isOk());
    text.assign("overwritten");
    CPPUNIT_ASSERT_EQUAL(std::string("temporary"), m.str("avp(x)"));
    // Replacing a value by itself (a view into the store) is safe.
    Value self = m.get("avp(x)");
    CPPUNIT_ASSERT(m.set("avp(x)[0]", self).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("temporary"), m.str("avp(x)"));
  }
  void requestUriIsWritable() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.set("ru", Value::view("sip:carol@192.0.2.9:5080")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("carol"), m.str("rU"));
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.9"), m.str("rd"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5080}, m.num("rp"));
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), m.str("rP"));
    CPPUNIT_ASSERT(!m.set("ru", Value::view("not a uri")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol@192.0.2.9:5080"), m.str("ru"));
  }
  void requestUriPartsAreWritable() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.set("rU", Value::view("carol")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("carol"), m.str("rU"));
    CPPUNIT_ASSERT(m.set("rd", Value::view("b.example")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("b.example"), m.str("rd"));
    CPPUNIT_ASSERT(m.set("rp", Value::integer(5090)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5090}, m.num("rp"));
    CPPUNIT_ASSERT(m.set("rp", Value::view("5091")).isOk());  // a numeric string is fine
    CPPUNIT_ASSERT_EQUAL(std::string("sip:carol@b.example:5091;transport=TCP;x=1"), m.str("ru"));
    // null removes the user and the port.
    CPPUNIT_ASSERT(m.set("rU", Value::null()).isOk());
    CPPUNIT_ASSERT(m.set("rp", Value::null()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:b.example;transport=TCP;x=1"), m.str("ru"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5060}, m.num("rp"));
  }
  void badRequestUriPartsAreRefused() {
    TestMsg m(inviteText());
    const std::string before = m.str("ru");
    for (Value bad : {Value::integer(0), Value::integer(70000), Value::view("http")}) {
      Status st = m.set("rp", bad);
      CPPUNIT_ASSERT_MESSAGE(bad.toString(), !st.isOk());
      CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "1..65535"));
    }
    CPPUNIT_ASSERT(!m.set("rd", Value::null()).isOk());
    CPPUNIT_ASSERT(!m.set("rd", Value::view("bad host")).isOk());
    CPPUNIT_ASSERT_EQUAL(before, m.str("ru"));
    TestMsg reply(pvartest::sipMessage("SIP/2.0 200 OK\r\n"
                                       "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n"
                                       "From: <sip:b@x>;tag=1\r\nTo: <sip:a@x>\r\n"
                                       "Call-ID: c\r\nCSeq: 1 INVITE\r\n"),
                  kOnReplyRoute);
    CPPUNIT_ASSERT(!reply.set("rU", Value::view("x")).isOk());
  }
  void destinationUri() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.set("du", Value::view("sip:10.1.1.1:5070;transport=tcp")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.1.1.1:5070;transport=tcp"), m.str("du"));
    CPPUNIT_ASSERT(!m.set("du", Value::view("garbage here")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.1.1.1:5070;transport=tcp"), m.str("du"));
    CPPUNIT_ASSERT(m.set("du", Value::null()).isOk());
    CPPUNIT_ASSERT(m.isNull("du"));
  }
  void forcedSocketMustBeOneOfOurs() {
    TestMsg m(inviteText());
    Status st = m.set("fs", Value::view("udp:192.0.2.200:5060"));
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), contains(st.message(), "not one of ours"));
    st = m.set("fs", Value::view("carrier-pigeon:1.2.3.4"));
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT(m.isNull("fs"));
    Listener l;
    l.text = "udp:192.0.2.1:5060";
    m.ctx().send_socket = &l;
    CPPUNIT_ASSERT(m.set("fs", Value::view("")).isOk());  // back to automatic
    CPPUNIT_ASSERT(m.ctx().send_socket == nullptr);
    m.ctx().send_socket = &l;
    CPPUNIT_ASSERT(m.set("fs", Value::null()).isOk());
    CPPUNIT_ASSERT(m.ctx().send_socket == nullptr);
  }
  void findListenerByTextMatchesCanonicalText() {
    Listeners set;
    std::uint16_t port = freePort();
    Result<SocketSpec> spec = parseSocketSpec("udp:127.0.0.1:" + std::to_string(port));
    CPPUNIT_ASSERT(spec.isOk());
    CPPUNIT_ASSERT(set.bindAll({spec.value()}).isOk());
    Result<const Listener*> found =
        findListenerByText(set, "UDP:127.0.0.1:" + std::to_string(port));
    CPPUNIT_ASSERT_MESSAGE(found.isOk() ? "" : found.status().message(), found.isOk());
    CPPUNIT_ASSERT(found.value() == &set.all()[0]);
    Result<const Listener*> other = findListenerByText(set, "udp:127.0.0.1:1");
    CPPUNIT_ASSERT(!other.isOk());
    CPPUNIT_ASSERT_MESSAGE(other.status().message(),
                           contains(other.status().message(), "listening on: udp:127.0.0.1:"));
    Listeners empty;
    Result<const Listener*> none = findListenerByText(empty, "udp:127.0.0.1:5060");
    CPPUNIT_ASSERT(!none.isOk() && contains(none.status().message(), "no sockets"));
    set.closeAll();
  }
  void branchFlags() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.set("bf", Value::integer(6)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{6}, m.ctx().bflags);
    CPPUNIT_ASSERT(m.set("bf", Value::view("12")).isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{12}, m.num("bf"));
    CPPUNIT_ASSERT(m.set("bf", Value::integer(4294967295ll)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{0xffffffffu}, m.ctx().bflags);
    CPPUNIT_ASSERT(!m.set("bf", Value::view("many")).isOk());
    CPPUNIT_ASSERT(!m.set("bf", Value::integer(-1)).isOk());
    CPPUNIT_ASSERT(!m.set("bf", Value::integer(4294967296ll)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{0xffffffffu}, m.ctx().bflags);  // unchanged by errors
    CPPUNIT_ASSERT(m.set("bf", Value::null()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint32_t{0}, m.ctx().bflags);
  }
  void scriptVariables() {
    TestMsg m(inviteText());
    CPPUNIT_ASSERT(m.set("var(pvar_test_a)", Value::view("x")).isOk());
    CPPUNIT_ASSERT(m.set("var(pvar_test_b)", Value::integer(3)).isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("x"), m.str("var(pvar_test_a)"));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, m.num("var(pvar_test_b)"));
    // Per process: another message sees the same value.
    TestMsg other(inviteText());
    CPPUNIT_ASSERT_EQUAL(std::string("x"), other.str("var(pvar_test_a)"));
  }
  void readOnlyVariablesHaveNoSetter() {
    for (const char* pv : {"si", "sp", "rm", "ci", "fu", "hdr(Via)", "au", "rP", "Ts"}) {
      CPPUNIT_ASSERT_MESSAGE(pv, TestMsg::ref(pv).spec->set == nullptr);
    }
    for (const char* pv : {"ru", "rU", "rd", "rp", "du", "fs", "bf", "var(x)", "avp(x)"}) {
      CPPUNIT_ASSERT_MESSAGE(pv, TestMsg::ref(pv).spec->set != nullptr);
    }
    // With transformations a reference is read-only, even of a writable variable.
    CPPUNIT_ASSERT(TestMsg::ref("(ru{uri.user})").spec->set == nullptr);
    CPPUNIT_ASSERT(TestMsg::ref("(avp(x)[1])").spec->set != nullptr);
  }
  void resolveErrors() {
    CPPUNIT_ASSERT(contains(resolveError("rX"), "unknown pseudo-variable $rX"));
    CPPUNIT_ASSERT(contains(resolveError("hdrr(Via)"), "did you mean 'hdr'?"));
    // Swapped letters win over a name that is closer by edit distance ("rr").
    CPPUNIT_ASSERT(contains(resolveError("ur"), "did you mean 'ru'?"));
    CPPUNIT_ASSERT(contains(resolveError("rr(x)"), "$rr takes no argument"));
    CPPUNIT_ASSERT(contains(resolveError("hdr"), "$hdr needs an argument: $hdr(name)"));
    CPPUNIT_ASSERT(contains(resolveError("avp()"), "$avp needs an argument"));
    CPPUNIT_ASSERT(contains(resolveError("time"), "$time(format)"));
    CPPUNIT_ASSERT(contains(resolveError("ru(x)"), "$ru takes no argument"));
    CPPUNIT_ASSERT(contains(resolveError("ru[1]"), "an index [n] is allowed only on $hdr"));
    CPPUNIT_ASSERT(contains(resolveError("hdrcnt(Via)[1]"), "allowed only on"));
    CPPUNIT_ASSERT(contains(resolveError("hdr(Via)[x]"), "bad index [x]"));
    CPPUNIT_ASSERT(contains(resolveError("avp(x)[]"), "bad index []"));
    CPPUNIT_ASSERT(contains(resolveError("avp(x)[1"), "missing ']'"));
    CPPUNIT_ASSERT(contains(resolveError("hdr(Via"), "missing ')'"));
    CPPUNIT_ASSERT(contains(resolveError("hdr(Via)x"), "unexpected 'x'"));
    CPPUNIT_ASSERT(contains(resolveError(""), "expected a pseudo-variable name"));
    CPPUNIT_ASSERT(contains(resolveError("(ru"), "unbalanced parentheses"));
    CPPUNIT_ASSERT(contains(resolveError("(ru{uri.user})x"), "unbalanced"));
    CPPUNIT_ASSERT(contains(resolveError("(rx{uri.user})"), "unknown pseudo-variable $rx"));
    CPPUNIT_ASSERT(contains(resolveError("(ru{s.lenn})"),
                            "unknown transformation {s.lenn} (did you mean 's.len'?) in "
                            "$(ru{s.lenn})"));
    CPPUNIT_ASSERT(contains(resolveError("(ru{s.substr,1})"), "takes 2 arguments"));
  }
  void resolveAcceptsEveryForm() {
    script::PvarRef r = TestMsg::ref("hdr( Via )[ -1 ]");
    CPPUNIT_ASSERT_EQUAL(std::string("Via"), r.arg);
    CPPUNIT_ASSERT(r.index_kind == script::PvarRef::Index::kAt);
    CPPUNIT_ASSERT_EQUAL(-1, r.index);
    CPPUNIT_ASSERT(TestMsg::ref("avp(x)[*]").index_kind == script::PvarRef::Index::kAll);
    CPPUNIT_ASSERT(TestMsg::ref("ru").index_kind == script::PvarRef::Index::kNone);
    script::PvarRef t = TestMsg::ref("(hdr(Via)[1]{s.len}{s.int})");
    CPPUNIT_ASSERT(t.base != nullptr && t.transforms != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("Via"), t.arg);
    CPPUNIT_ASSERT_EQUAL(1, t.index);
    CPPUNIT_ASSERT_EQUAL(std::string("(hdr(Via)[1]{s.len}{s.int})"), t.text);
    // The plain form has no transformation machinery.
    script::PvarRef plain = TestMsg::ref("hdr(Via)[1]");
    CPPUNIT_ASSERT(plain.base == nullptr && plain.transforms == nullptr);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(PvarWriteTest);

}  // namespace sipline
