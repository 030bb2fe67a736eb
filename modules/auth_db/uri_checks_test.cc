#include "modules/auth_db/uri_checks.h"

#include <cppunit/extensions/HelperMacros.h>

#include "core/parser/auth_header.h"
#include "modules/auth_db/auth_db_test_util.h"
#include "modules/auth_db/fake_auth_test_util.h"

namespace sipline::auth_db {

using testing::Request;
using testing::requestText;
using testing::ServiceHarness;

namespace {

// A request from `from` to `to` that authenticated as username@realm (as a successful
// www/proxy_authorize leaves it).
std::string authenticated(const std::string& method, const std::string& from, const std::string& to,
                          const std::string& username, const std::string& realm) {
  return requestText(method, from, to,
                     "Authorization: Digest username=\"" + username + "\", realm=\"" + realm +
                         "\", nonce=\"n\", uri=\"sip:example.com\", response=\"" +
                         std::string(32, '0') + "\"\r\n");
}

// What a successful check leaves: the header, its username and realm (decoded).
void markAuthenticated(Request& r) {
  const HeaderField* h = r.ctx().msg().header(HeaderType::kAuthorization);
  CPPUNIT_ASSERT(h != nullptr);
  AuthHeader a;
  CPPUNIT_ASSERT(parseAuthHeader(h->body, a) == ParseError::kOk);
  auto decoded = [&](std::string_view v) {
    std::string out(v.size(), '\0');
    out.resize(a.has_escapes ? unquoteTo(v, out.data()) : v.copy(out.data(), v.size()));
    return out;
  };
  r.ctx().auth.credentials = h;
  r.ctx().auth.username = decoded(a.username);
  r.ctx().auth.realm = decoded(a.realm);
}

}  // namespace

class UriChecksTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(UriChecksTest);
  CPPUNIT_TEST(toMustBeTheAuthenticatedUser);
  CPPUNIT_TEST(fromMustBeTheAuthenticatedUser);
  CPPUNIT_TEST(userIsCaseSensitiveHostIsNot);
  CPPUNIT_TEST(escapedUserMatchesItsDecodedForm);
  CPPUNIT_TEST(domainIsIgnoredWithoutUseDomain);
  CPPUNIT_TEST(notAuthenticatedIsFalse);
  CPPUNIT_TEST(identityOutlivesConsumeCredentials);
  CPPUNIT_TEST(usernameWithDomainPartUsesItsUser);
  CPPUNIT_TEST(doesUriExistAsksTheTable);
  CPPUNIT_TEST(doesUriExistUsesTheCacheAndFailsOnDbErrors);
  CPPUNIT_TEST(realmPrefixIsStrippedAsAuthStripsIt);
  CPPUNIT_TEST_SUITE_END();

 public:
  void toMustBeTheAuthenticatedUser() {
    Request own(authenticated("REGISTER", "sip:alice@example.com", "sip:alice@example.com", "alice",
                              "example.com"));
    markAuthenticated(own);
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(own.ctx(), own.ctx().msg().to(), true));
    // A subscriber may not register another user's AOR.
    Request other(authenticated("REGISTER", "sip:alice@example.com", "sip:bob@example.com", "alice",
                                "example.com"));
    markAuthenticated(other);
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(other.ctx(), other.ctx().msg().to(), true));
    Request other_domain(authenticated("REGISTER", "sip:alice@example.com",
                                       "sip:alice@evil.example", "alice", "example.com"));
    markAuthenticated(other_domain);
    CPPUNIT_ASSERT_EQUAL(-1,
                         isUriAuthorized(other_domain.ctx(), other_domain.ctx().msg().to(), true));
  }

  void fromMustBeTheAuthenticatedUser() {
    Request r(authenticated("INVITE", "sip:alice@example.com", "sip:bob@example.com", "alice",
                            "example.com"));
    markAuthenticated(r);
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(r.ctx(), r.ctx().msg().from(), true));
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), true));
    Request spoof(authenticated("INVITE", "sip:carol@example.com", "sip:bob@example.com", "alice",
                                "example.com"));
    markAuthenticated(spoof);
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(spoof.ctx(), spoof.ctx().msg().from(), true));
  }

  void userIsCaseSensitiveHostIsNot() {
    Request host(authenticated("REGISTER", "sip:alice@EXAMPLE.com", "sip:alice@EXAMPLE.com",
                               "alice", "example.com"));
    markAuthenticated(host);
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(host.ctx(), host.ctx().msg().to(), true));
    Request user(authenticated("REGISTER", "sip:Alice@example.com", "sip:Alice@example.com",
                               "alice", "example.com"));
    markAuthenticated(user);
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(user.ctx(), user.ctx().msg().to(), true));
  }

  void escapedUserMatchesItsDecodedForm() {
    Request r(authenticated("REGISTER", "sip:%61lice@example.com", "sip:%61lice@example.com",
                            "alice", "example.com"));
    markAuthenticated(r);
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), true));
  }

  void domainIsIgnoredWithoutUseDomain() {
    Request r(authenticated("REGISTER", "sip:alice@10.0.0.1", "sip:alice@10.0.0.1", "alice",
                            "example.com"));
    markAuthenticated(r);
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), true));
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), false));
  }

  void identityOutlivesConsumeCredentials() {
    Request r(authenticated("INVITE", "sip:alice@example.com", "sip:bob@example.com", "alice",
                            "example.com"));
    markAuthenticated(r);
    r.ctx().auth.credentials = nullptr;  // consume_credentials() removed the header
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(r.ctx(), r.ctx().msg().from(), true));
  }

  void notAuthenticatedIsFalse() {
    Request r(authenticated("REGISTER", "sip:alice@example.com", "sip:alice@example.com", "alice",
                            "example.com"));
    // The header is there but no authorize() succeeded.
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), true));
    Request tel(
        authenticated("INVITE", "tel:+15551234", "sip:bob@example.com", "alice", "example.com"));
    markAuthenticated(tel);
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(tel.ctx(), tel.ctx().msg().from(), false));
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(tel.ctx(), nullptr, false));
  }

  void usernameWithDomainPartUsesItsUser() {
    Request r(authenticated("REGISTER", "sip:alice@example.com", "sip:alice@example.com",
                            "alice@example.com", "example.com"));
    markAuthenticated(r);
    AuthIdentity id;
    CPPUNIT_ASSERT(authenticatedIdentity(r.ctx(), id));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), id.user);
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), id.realm);
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), true));
  }

  void doesUriExistAsksTheTable() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com");
    h.mustStart();
    Request r(requestText("INVITE", "sip:bob@example.com", "sip:alice@Example.com", ""));
    CPPUNIT_ASSERT_EQUAL(1, doesUriExist(h.service, h.table(), r.ctx(), std::nullopt));
    CPPUNIT_ASSERT_EQUAL(
        -1, doesUriExist(h.service, h.table(), r.ctx(), std::string_view("sip:carol@example.com")));
    CPPUNIT_ASSERT_EQUAL(
        -1, doesUriExist(h.service, h.table(), r.ctx(), std::string_view("sip:alice@other.net")));
    CPPUNIT_ASSERT_EQUAL(1, doesUriExist(h.service, h.table(), r.ctx(),
                                         std::string_view("sip:%61lice@example.com")));
    CPPUNIT_ASSERT_EQUAL(
        -1, doesUriExist(h.service, h.table(), r.ctx(), std::string_view("sip:example.com")));
    CPPUNIT_ASSERT_EQUAL(
        -2, doesUriExist(h.service, h.table(), r.ctx(), std::string_view("not a uri")));
  }

  void doesUriExistUsesTheCacheAndFailsOnDbErrors() {
    ServiceHarness h;
    h.db.add("subscriber", "alice", "example.com");
    h.mustStart();
    Request r(requestText("INVITE", "sip:bob@example.com", "sip:alice@example.com", ""));
    h.db.down = true;
    CPPUNIT_ASSERT_EQUAL(-2, doesUriExist(h.service, h.table(), r.ctx(), std::nullopt));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), h.db_errors.load());
    h.db.down = false;
    SubscriberRow row;
    CPPUNIT_ASSERT(h.service.lookup(h.table(), "alice", "example.com", row) == Lookup::kFound);
    h.db.down = true;
    CPPUNIT_ASSERT_EQUAL(1, doesUriExist(h.service, h.table(), r.ctx(), std::nullopt));
  }

  // With auth's realm_prefix "sip.", a REGISTER for sip:alice@sip.example.com authenticates in
  // realm example.com; the To check must compare the host as stripped, not the full host.
  void realmPrefixIsStrippedAsAuthStripsIt() {
    Request r(authenticated("REGISTER", "sip:alice@sip.example.com", "sip:alice@SIP.example.com",
                            "alice", "example.com"));
    markAuthenticated(r);
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), true));
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(r.ctx(), r.ctx().msg().to(), true, "sip."));
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(r.ctx(), r.ctx().msg().from(), true, "SIP."));
    // Only the prefix goes: another host, or the bare prefix, still differs.
    Request evil(authenticated("REGISTER", "sip:alice@sip.evil.example",
                               "sip:alice@sip.evil.example", "alice", "example.com"));
    markAuthenticated(evil);
    CPPUNIT_ASSERT_EQUAL(-1, isUriAuthorized(evil.ctx(), evil.ctx().msg().to(), true, "sip."));
    Request plain(authenticated("REGISTER", "sip:alice@example.com", "sip:alice@example.com",
                                "alice", "example.com"));
    markAuthenticated(plain);
    CPPUNIT_ASSERT_EQUAL(1, isUriAuthorized(plain.ctx(), plain.ctx().msg().to(), true, "sip."));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(UriChecksTest);

}  // namespace sipline::auth_db
