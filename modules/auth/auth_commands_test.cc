// The script commands as the compiler binds them: argument checks with positions, the
// challenge replies, consume_credentials and the store-less pv_*_authorize.
#include "modules/auth/auth_commands.h"

#include <cppunit/extensions/HelperMacros.h>

#include "core/script/pvar.h"
#include "modules/auth/auth_test_util.h"

namespace sipline::auth {

using crypto::DigestAlgorithm;
using testing::AuthHarness;
using testing::ClientAnswer;
using testing::contains;
using testing::credentialsLine;
using testing::requestText;

namespace {

ScriptArg str(const std::string& text, int col = 20) {
  ScriptArg a;
  a.kind = ScriptArg::Kind::kString;
  a.text = text;
  a.pos = SourcePos{"test.routes", 3, col};
  return a;
}

BindContext bindContext(const char* command) {
  return BindContext(SourcePos{"test.routes", 3, 5}, command, nullptr);
}

}  // namespace

class AuthCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AuthCommandsTest);
  CPPUNIT_TEST(challengeCommandSendsOneHeaderPerAlgorithm);
  CPPUNIT_TEST(challengeDefaultsToQopAuthAndParameterAlgorithms);
  CPPUNIT_TEST(challengeRealmMayHoldPvars);
  CPPUNIT_TEST(badChallengeArgumentsFailAtBind);
  CPPUNIT_TEST(bindingAcceptsTheOfferedAlgorithms);
  CPPUNIT_TEST(challengeWithoutRealmReturnsMinusOne);
  CPPUNIT_TEST(consumeCredentialsRemovesTheAuthorizingHeader);
  CPPUNIT_TEST(pvAuthorizeWithPassword);
  CPPUNIT_TEST(pvAuthorizeWithHa1);
  CPPUNIT_TEST(pvAuthorizeRefusesCredentialsAfterAnotherUsers);
  CPPUNIT_TEST(escapedValuesAreHashedDecoded);
  CPPUNIT_TEST(pvProxyAuthorizeReadsProxyAuthorization);
  CPPUNIT_TEST(avpNameForms);
  CPPUNIT_TEST_SUITE_END();

 public:
  static int run(BoundCallPtr& call, MsgContext& ctx) { return call->run(ctx).rc; }

  BoundCallPtr bind(AuthHarness& h, bool proxy, const ScriptArgs& args,
                    const CommandOptions& o = CommandOptions()) {
    BindContext bc = bindContext(proxy ? "proxy_challenge" : "www_challenge");
    Result<BoundCallPtr> call = bindChallenge(h.service, o, proxy, args, bc);
    CPPUNIT_ASSERT_MESSAGE(call.status().message(), call.isOk());
    return std::move(call.value());
  }

  void challengeCommandSendsOneHeaderPerAlgorithm() {
    AuthHarness h;
    BoundCallPtr call = bind(h, false, {str("example.net"), str("auth"), str("SHA-256,MD5")});
    CPPUNIT_ASSERT_EQUAL(1, run(call, h.parse(requestText("REGISTER", {}))));
    std::string reply = h.lastSent();
    CPPUNIT_ASSERT_MESSAGE(reply, reply.rfind("SIP/2.0 401 Unauthorized\r\n", 0) == 0);
    std::size_t sha = reply.find("WWW-Authenticate: Digest realm=\"example.net\"");
    CPPUNIT_ASSERT(sha != std::string::npos);
    CPPUNIT_ASSERT(reply.find("algorithm=SHA-256\r\n") < reply.find("algorithm=MD5\r\n"));
    CPPUNIT_ASSERT(h.ctx().replied);
    BoundCallPtr proxy = bind(h, true, {str("example.net"), str("auth,auth-int"), str("MD5")});
    CPPUNIT_ASSERT_EQUAL(1, run(proxy, h.parse(requestText("INVITE", {}))));
    CPPUNIT_ASSERT(h.lastSent().rfind("SIP/2.0 407 ", 0) == 0);
    CPPUNIT_ASSERT(contains(h.lastSent(), "qop=\"auth,auth-int\", algorithm=MD5\r\n"));
  }

  void challengeDefaultsToQopAuthAndParameterAlgorithms() {
    AuthHarness h;
    BoundCallPtr call = bind(h, false, {str("")});
    CPPUNIT_ASSERT_EQUAL(1, run(call, h.parse(requestText("REGISTER", {}))));
    std::string reply = h.lastSent();
    CPPUNIT_ASSERT(contains(reply, "realm=\"example.com\""));
    CPPUNIT_ASSERT(reply.find("qop=\"auth\", algorithm=MD5") <
                   reply.find("qop=\"auth\", algorithm=SHA-256"));
    CPPUNIT_ASSERT(reply.find("algorithm=SHA-256") < reply.find("algorithm=SHA-512-256"));
    CommandOptions o;
    o.algorithms = "SHA-512-256";
    BoundCallPtr one = bind(h, false, {str(""), str("0")}, o);  // 1.6-era "no qop"
    CPPUNIT_ASSERT_EQUAL(1, run(one, h.parse(requestText("REGISTER", {}))));
    CPPUNIT_ASSERT(!contains(h.lastSent(), "qop="));
    CPPUNIT_ASSERT(!contains(h.lastSent(), "algorithm=MD5"));
    ScriptArg qop_one;
    qop_one.kind = ScriptArg::Kind::kInt;
    qop_one.int_value = 1;
    BoundCallPtr legacy = bind(h, false, {str(""), qop_one});
    CPPUNIT_ASSERT_EQUAL(1, run(legacy, h.parse(requestText("REGISTER", {}))));
    CPPUNIT_ASSERT(contains(h.lastSent(), "qop=\"auth\""));
  }

  void challengeRealmMayHoldPvars() {
    AuthHarness h;
    BoundCallPtr call = bind(h, true, {str("$fd")});
    CPPUNIT_ASSERT_EQUAL(1, run(call, h.parse(requestText("INVITE", {}))));
    CPPUNIT_ASSERT_MESSAGE(h.lastSent(), contains(h.lastSent(), "realm=\"example.com\""));
  }

  void badChallengeArgumentsFailAtBind() {
    AuthHarness h;
    struct Case {
      ScriptArgs args;
      CommandOptions options;
      const char* where;
      const char* what;
    };
    CommandOptions bad_param;
    bad_param.algorithms = "MD5,SHA-1";
    std::vector<Case> cases = {
        {{str("r"), str("auth-conf", 30)}, CommandOptions(), "test.routes:3:30", "auth-conf"},
        {{str("r"), str("$var(q)", 30)}, CommandOptions(), "test.routes:3:30", "constant"},
        {{str("r"), str("auth"), str("SHA-1", 40)}, CommandOptions(), "test.routes:3:40", "SHA-1"},
        {{str("r"), str("auth"), str("MD5,MD5", 40)},
         CommandOptions(),
         "test.routes:3:40",
         "twice"},
        {{str("r"), str("auth"), str("$var(a)", 40)},
         CommandOptions(),
         "test.routes:3:40",
         "constant"},
        {{str("r")}, bad_param, "test.routes:3:5", "SHA-1"},
    };
    for (const Case& c : cases) {
      BindContext bc = bindContext("www_challenge");
      Result<BoundCallPtr> call = bindChallenge(h.service, c.options, false, c.args, bc);
      CPPUNIT_ASSERT(!call.isOk());
      const std::string& m = call.status().message();
      CPPUNIT_ASSERT_MESSAGE(m, contains(m, c.where) && contains(m, c.what));
    }
  }

  // Binding adds the call's algorithms to those a foreign nonce may be answered with; the
  // nonce of the bound challenge itself admits exactly the algorithms it offered.
  void bindingAcceptsTheOfferedAlgorithms() {
    AuthHarness h;
    h.service.config.accepted = 0;
    BoundCallPtr call = bind(h, false, {str(""), str("auth"), str("SHA-256")});
    CPPUNIT_ASSERT_EQUAL(1u << static_cast<unsigned>(DigestAlgorithm::kSha256),
                         h.service.config.accepted);
    h.service.config.accepted = ~0u;  // as if another call site offered everything
    CPPUNIT_ASSERT_EQUAL(1, run(call, h.parse(requestText("REGISTER", {}))));
    const std::string reply = h.lastSent();
    std::size_t b = reply.find("nonce=\"") + 7;
    ClientAnswer a;
    a.nonce = reply.substr(b, reply.find('"', b) - b);
    CPPUNIT_ASSERT_EQUAL(int(kError), h.authorize(requestText("REGISTER", {credentialsLine(a)})));
    a.algorithm = DigestAlgorithm::kSha256;
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized),
                         h.authorize(requestText("REGISTER", {credentialsLine(a)})));
  }

  void challengeWithoutRealmReturnsMinusOne() {
    AuthHarness h;
    BoundCallPtr call = bind(h, true, {str("")});
    MsgContext& ctx = h.parse(
        "INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\r\n"
        "From: <tel:+15551234>;tag=1\r\nTo: <sip:bob@to.example>\r\n"
        "Call-ID: r\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
    CPPUNIT_ASSERT_EQUAL(-1, run(call, ctx));
    CPPUNIT_ASSERT(h.capture.sent.empty());
  }

  void consumeCredentialsRemovesTheAuthorizingHeader() {
    AuthHarness h;
    BindContext bc = bindContext("consume_credentials");
    BoundCallPtr consume = std::move(bindConsumeCredentials({}, bc).value());
    CPPUNIT_ASSERT_EQUAL(-1, run(consume, h.parse(requestText("INVITE", {}))));
    ClientAnswer a;
    a.method = "INVITE";
    a.header = "Proxy-Authorization";
    a.nonce = h.nonce();
    std::string text = requestText("INVITE", {credentialsLine(a), "X-Keep: 1"});
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized),
                         h.authorize(text, "secret", HeaderType::kProxyAuthorization));
    CPPUNIT_ASSERT_EQUAL(1, run(consume, h.ctx()));
    std::string out;
    CPPUNIT_ASSERT(h.ctx().msg().build(out));
    CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "Proxy-Authorization"));
    CPPUNIT_ASSERT(contains(out, "X-Keep: 1\r\n"));
    CPPUNIT_ASSERT_EQUAL(-1, run(consume, h.ctx()));
  }

  BoundCallPtr bindPv(AuthHarness& h, bool proxy, const CommandOptions& o = CommandOptions()) {
    BindContext bc = bindContext(proxy ? "pv_proxy_authorize" : "pv_www_authorize");
    Result<BoundCallPtr> call = bindPvAuthorize(h.service, o, proxy, {str("")}, bc);
    CPPUNIT_ASSERT_MESSAGE(call.status().message(), call.isOk());
    return std::move(call.value());
  }

  void pvAuthorizeWithPassword() {
    AuthHarness h;
    BoundCallPtr call = bindPv(h, false);
    CPPUNIT_ASSERT_EQUAL(int(kNoCredentials), run(call, h.parse(requestText("REGISTER", {}))));
    ClientAnswer a;
    a.algorithm = DigestAlgorithm::kSha512_256;
    a.nonce = h.nonce();
    std::string text = requestText("REGISTER", {credentialsLine(a)});
    CPPUNIT_ASSERT_EQUAL(int(kUserUnknown), run(call, h.parse(text)));  // no AVP
    h.parse(text).avps.push("password", script::Value::owned("wrong"));
    CPPUNIT_ASSERT_EQUAL(int(kInvalidPassword), run(call, h.ctx()));
    h.parse(text).avps.push("password", script::Value::owned("secret"));
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized), run(call, h.ctx()));
    h.parse(text).avps.push("password", script::Value::owned("secret"));
    CPPUNIT_ASSERT_EQUAL(int(kNonceReused), run(call, h.ctx()));
    h.now += 3600;
    a.nc = "00000002";
    h.parse(requestText("REGISTER", {credentialsLine(a)}))
        .avps.push("password", script::Value::owned("secret"));
    CPPUNIT_ASSERT_EQUAL(int(kStaleNonce), run(call, h.ctx()));
    CPPUNIT_ASSERT_EQUAL(int(kError),
                         run(call, h.parse(requestText("REGISTER", {"Authorization: Digest x"}))));
    CPPUNIT_ASSERT(h.lastSent().rfind("SIP/2.0 400 ", 0) == 0);
  }

  void pvAuthorizeRefusesCredentialsAfterAnotherUsers() {
    // Mallory computes alice's credentials with his own password and puts a header of his
    // for another realm first: $au names him, so the script loads his password.
    AuthHarness h;
    BoundCallPtr call = bindPv(h, false);
    script::PvarRef au = script::resolvePvar("au").value();
    ClientAnswer a;
    a.nonce = h.nonce();
    a.password = "mallory-secret";
    std::string decoy =
        "Authorization: Digest username=\"mallory\", realm=\"elsewhere\", "
        "nonce=\"n\", uri=\"sip:example.com\", response=\"" +
        std::string(32, '0') + "\"";
    MsgContext& ctx = h.parse(requestText("REGISTER", {decoy, credentialsLine(a)}));
    CPPUNIT_ASSERT_EQUAL(std::string("mallory"), au.get(ctx).toString());
    ctx.avps.push("password", script::Value::owned("mallory-secret"));
    CPPUNIT_ASSERT_EQUAL(int(kInvalidPassword), run(call, ctx));
    // Alone, alice's header (with her password) passes.
    a.password = "secret";
    a.nc = "00000002";
    MsgContext& ok = h.parse(requestText("REGISTER", {credentialsLine(a)}));
    ok.avps.push("password", script::Value::owned("secret"));
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized), run(call, ok));
    // Authorized by a DB-style check (the user taken from the header checked), $au and $ar
    // name those credentials, whatever header comes first (is_user_in("Credentials")).
    a.nc = "00000003";
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized),
                         h.authorize(requestText("REGISTER", {decoy, credentialsLine(a)})));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), au.get(h.ctx()).toString());
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"),
                         script::resolvePvar("ar").value().get(h.ctx()).toString());
  }

  void escapedValuesAreHashedDecoded() {
    // RFC 7616 §3.4: the response hashes unq(cnonce): "ab\cd" on the wire is "abcd".
    AuthHarness h;
    BoundCallPtr call = bindPv(h, false);
    ClientAnswer a;
    a.nonce = h.nonce();
    a.cnonce = "abcd";
    std::string line = credentialsLine(a);
    std::size_t at = line.find("cnonce=\"abcd\"");
    CPPUNIT_ASSERT(at != std::string::npos);
    line.replace(at, 14, "cnonce=\"ab\\cd\"");
    MsgContext& ctx = h.parse(requestText("REGISTER", {line}));
    ctx.avps.push("password", script::Value::owned("secret"));
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized), run(call, ctx));
  }

  void pvAuthorizeWithHa1() {
    AuthHarness h;
    CommandOptions o;
    o.password_avp = "$avp(ha1)";
    o.password_is_ha1 = true;
    BoundCallPtr call = bindPv(h, false, o);
    ClientAnswer a;
    a.algorithm = DigestAlgorithm::kSha256;
    a.nonce = h.nonce();
    std::string text = requestText("REGISTER", {credentialsLine(a)});
    h.parse(text).avps.push(
        "ha1", script::Value::owned(
                   crypto::digestHa1(DigestAlgorithm::kSha256, "alice", "example.com", "secret")));
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized), run(call, h.ctx()));
    a.nc = "00000002";
    h.parse(requestText("REGISTER", {credentialsLine(a)}))
        .avps.push("ha1", script::Value::owned("secret"));  // a password where an HA1 belongs
    CPPUNIT_ASSERT_EQUAL(int(kInvalidPassword), run(call, h.ctx()));
    // An empty password_avp cannot work: refused at bind.
    CommandOptions empty;
    empty.password_avp = "";
    BindContext bc = bindContext("pv_www_authorize");
    CPPUNIT_ASSERT(!bindPvAuthorize(h.service, empty, false, {str("")}, bc).isOk());
  }

  void pvProxyAuthorizeReadsProxyAuthorization() {
    AuthHarness h;
    BoundCallPtr call = bindPv(h, true);
    ClientAnswer a;
    a.method = "INVITE";
    a.nonce = h.nonce();
    h.parse(requestText("INVITE", {credentialsLine(a)}))
        .avps.push("password", script::Value::owned("secret"));
    CPPUNIT_ASSERT_EQUAL(int(kNoCredentials), run(call, h.ctx()));  // Authorization, not Proxy-
    a.header = "Proxy-Authorization";
    h.parse(requestText("INVITE", {credentialsLine(a)}))
        .avps.push("password", script::Value::owned("secret"));
    CPPUNIT_ASSERT_EQUAL(int(kAuthorized), run(call, h.ctx()));
    CPPUNIT_ASSERT_EQUAL(1, run(call, h.parse(requestText("ACK", {}))));
  }

  void avpNameForms() {
    CPPUNIT_ASSERT_EQUAL(std::string("password"), avpName("password"));
    CPPUNIT_ASSERT_EQUAL(std::string("pw"), avpName("$avp(pw)"));
    CPPUNIT_ASSERT_EQUAL(std::string("$avp()"), avpName("$avp()"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(AuthCommandsTest);

}  // namespace sipline::auth
