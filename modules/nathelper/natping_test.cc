// NAT keepalives without a server: which contacts are pinged and how, where a ping goes, the
// SIP ping's request, the parameter checks of init(), and the spreading of a pass over the
// interval (a fake usrloc counts the buckets each tick asks for).
#include "modules/nathelper/natping.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline::nathelper {
namespace {

usrloc::Contact contact(const std::string& uri, const std::string& received = "",
                        std::uint32_t cflags = 0,
                        const std::string& socket = "udp:127.0.0.1:5060") {
  usrloc::Contact c;
  c.uri = uri;
  c.received = received;
  c.cflags = cflags;
  c.socket = socket;
  return c;
}

// Records the bucket ranges asked for; has no contacts.
class FakeUsrloc : public usrloc::Api {
 public:
  explicit FakeUsrloc(std::uint64_t buckets) : buckets_(buckets) {}
  Result<usrloc::Domain*> domain(std::string_view) override { return nullptr; }
  Status withRecord(usrloc::Domain*, std::string_view,
                    const std::function<Status(usrloc::Record&)>&) override {
    return Status::ok();
  }
  Result<std::vector<usrloc::Contact>> get(usrloc::Domain*, std::string_view) override {
    return std::vector<usrloc::Contact>{};
  }
  bool useDomain() const override { return false; }
  int natBflag() const override { return nat_bflag; }
  std::uint64_t pingBuckets() const override { return buckets_; }
  void collectPings(std::uint64_t from, std::uint64_t to, const usrloc::PingSelect&, int,
                    usrloc::PingBatch&) override {
    ranges.emplace_back(from, to);
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  int nat_bflag = -1;

 private:
  std::uint64_t buckets_;
};

}  // namespace

class NatPingTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NatPingTest);
  CPPUNIT_TEST(natedOnlyUsesTheFlagElseReceived);
  CPPUNIT_TEST(sipPingFlagMakesTrackedPings);
  CPPUNIT_TEST(streamAndPathContactsGetNoCrlfPing);
  CPPUNIT_TEST(destinationIsReceivedElseNumericUri);
  CPPUNIT_TEST(sipPingRequestFollowsPathAndFrom);
  CPPUNIT_TEST(initChecksItsParameters);
  CPPUNIT_TEST(onePassIsSpreadOverTheInterval);
  CPPUNIT_TEST(aLateTickFinishesThePassFirst);
  CPPUNIT_TEST_SUITE_END();

 public:
  void natedOnlyUsesTheFlagElseReceived() {
    NatPingConfig cfg;
    cfg.nated_only = true;
    // No nat_bflag: a received address marks the contact as NATed.
    CPPUNIT_ASSERT(selectPing(cfg, contact("sip:a@192.168.1.2", "sip:203.0.113.5:4000")) ==
                   usrloc::PingMode::kUntracked);
    CPPUNIT_ASSERT(selectPing(cfg, contact("sip:a@203.0.113.5")) == usrloc::PingMode::kSkip);
    // With nat_bflag 6 only the flag counts.
    cfg.nat_bflag = 6;
    CPPUNIT_ASSERT(selectPing(cfg, contact("sip:a@192.168.1.2", "sip:203.0.113.5:4000")) ==
                   usrloc::PingMode::kSkip);
    CPPUNIT_ASSERT(selectPing(cfg, contact("sip:a@192.168.1.2", "", 1u << 6)) ==
                   usrloc::PingMode::kUntracked);
    cfg.nated_only = false;
    CPPUNIT_ASSERT(selectPing(cfg, contact("sip:a@203.0.113.5")) == usrloc::PingMode::kUntracked);
  }

  void sipPingFlagMakesTrackedPings() {
    NatPingConfig cfg;
    cfg.nat_bflag = 6;
    cfg.sipping_bflag = 7;
    CPPUNIT_ASSERT(selectPing(cfg, contact("sip:a@10.0.0.1", "", (1u << 6) | (1u << 7))) ==
                   usrloc::PingMode::kTracked);
    CPPUNIT_ASSERT(selectPing(cfg, contact("sip:a@10.0.0.1", "", 1u << 7)) ==
                   usrloc::PingMode::kSkip);  // not NATed
    // SIP pings also go over TCP (on the connection) and along a Path.
    usrloc::Contact c =
        contact("sip:a@10.0.0.1;transport=tcp", "sip:203.0.113.5:4000;transport=tcp",
                (1u << 6) | (1u << 7), "tcp:127.0.0.1:5060");
    CPPUNIT_ASSERT(selectPing(cfg, c) == usrloc::PingMode::kTracked);
    c.path = "<sip:edge.example.com;lr>";
    CPPUNIT_ASSERT(selectPing(cfg, c) == usrloc::PingMode::kTracked);
  }

  void streamAndPathContactsGetNoCrlfPing() {
    NatPingConfig cfg;
    usrloc::Contact tcp = contact("sip:a@10.0.0.1;transport=tcp",
                                  "sip:203.0.113.5:4000;transport=tcp", 0, "tcp:127.0.0.1:5060");
    CPPUNIT_ASSERT(selectPing(cfg, tcp) == usrloc::PingMode::kSkip);
    cfg.tcp = true;
    CPPUNIT_ASSERT(selectPing(cfg, tcp) == usrloc::PingMode::kUntracked);
    usrloc::Contact path = contact("sip:a@10.0.0.1", "sip:203.0.113.5:4000");
    path.path = "<sip:edge.example.com;lr>";
    CPPUNIT_ASSERT(selectPing(cfg, path) == usrloc::PingMode::kSkip);
  }

  void destinationIsReceivedElseNumericUri() {
    Result<PingDestination> d = pingDestination(contact("sip:a@10.0.0.1", "sip:203.0.113.5:4000"));
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.5:4000"), d.value().addr.toString());
    CPPUNIT_ASSERT(d.value().proto == Proto::kUdp);
    d = pingDestination(contact("sip:a@[2001:db8::7]:5070"));
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("[2001:db8::7]:5070"), d.value().addr.toString());
    d = pingDestination(
        contact("sip:a@10.0.0.1", "sip:203.0.113.5:4001;transport=tcp", 0, "tcp:127.0.0.1:5060"));
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT(d.value().proto == Proto::kTcp);
    d = pingDestination(contact("sips:a@203.0.113.5"));
    CPPUNIT_ASSERT(d.isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint16_t{5061}, d.value().addr.port());
    CPPUNIT_ASSERT(!pingDestination(contact("sip:a@phone.example.com")).isOk());
    CPPUNIT_ASSERT(!pingDestination(contact("tel:+15551234")).isOk());
    CPPUNIT_ASSERT(!pingDestination(contact("garbage")).isOk());
  }

  void sipPingRequestFollowsPathAndFrom() {
    NatPingConfig cfg;
    tm::LocalRequest r = sipPingRequest(cfg, contact("sip:a@10.0.0.1", "sip:203.0.113.5:4000"));
    CPPUNIT_ASSERT_EQUAL(std::string("OPTIONS"), r.method);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:a@10.0.0.1"), r.ruri);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:203.0.113.5:4000"), r.dst);
    CPPUNIT_ASSERT(r.from.empty());  // tm's default
    CPPUNIT_ASSERT(r.headers.empty());
    cfg.sipping_from = "sip:keepalive@example.com";
    cfg.sipping_method = "INFO";
    usrloc::Contact c = contact("sip:a@10.0.0.1");
    c.path = "<sip:edge1.example.com;lr>,<sip:edge2.example.com;lr>";
    r = sipPingRequest(cfg, c);
    CPPUNIT_ASSERT_EQUAL(std::string("INFO"), r.method);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:edge1.example.com;lr"), r.dst);
    CPPUNIT_ASSERT_EQUAL(std::string("Route: " + c.path + "\r\n"), r.headers);
    CPPUNIT_ASSERT_EQUAL(0u,
                         static_cast<unsigned>(r.from.find("<sip:keepalive@example.com>;tag=")));
  }

  void initChecksItsParameters() {
    FakeUsrloc ul(16);
    NatPinger off;
    CPPUNIT_ASSERT(off.init(nullptr, nullptr).isOk());  // disabled: needs nothing
    NatPinger p;
    p.config().interval_s = 10;
    CPPUNIT_ASSERT(!p.init(nullptr, nullptr).isOk());  // no usrloc
    p.config().sipping_bflag = 3;
    CPPUNIT_ASSERT(!p.init(&ul, nullptr).isOk());  // SIP pings without tm
    p.config().sipping_bflag = -1;
    CPPUNIT_ASSERT(p.init(&ul, nullptr).isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{-1}, p.config().nat_bflag);
    // usrloc's nat_bflag (OpenSIPS's place for it) serves when nathelper has none...
    ul.nat_bflag = 5;
    NatPinger q;
    q.config().interval_s = 10;
    CPPUNIT_ASSERT(q.init(&ul, nullptr).isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, q.config().nat_bflag);
    // ...and nathelper's own wins.
    NatPinger r;
    r.config().interval_s = 10;
    r.config().nat_bflag = 9;
    CPPUNIT_ASSERT(r.init(&ul, nullptr).isOk());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{9}, r.config().nat_bflag);
  }

  void onePassIsSpreadOverTheInterval() {
    FakeUsrloc ul(1000);
    NatPinger p;
    p.config().interval_s = 10;
    CPPUNIT_ASSERT(p.init(&ul, nullptr).isOk());
    // Ticks every 200 ms over one interval: 50 ticks, each a slice of about 20 buckets, the
    // slices back to back and covering every bucket once; the tick that starts the next pass
    // finishes this one first.
    for (std::int64_t t = 0; t < 10000; t += 200) p.tick(5000 + t);
    CPPUNIT_ASSERT(ul.ranges.back().second < 1000);
    p.tick(15000);
    std::uint64_t next = 0;
    std::size_t i = 0;
    for (; i < ul.ranges.size() && next < 1000; ++i) {
      CPPUNIT_ASSERT_EQUAL(next, ul.ranges[i].first);
      CPPUNIT_ASSERT(ul.ranges[i].second - ul.ranges[i].first <= 25);
      next = ul.ranges[i].second;
    }
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1000}, next);
    CPPUNIT_ASSERT(i >= 45);
    // The next pass starts from bucket 0 again.
    CPPUNIT_ASSERT_EQUAL(i + 1, ul.ranges.size());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, ul.ranges[i].first);
  }

  void aLateTickFinishesThePassFirst() {
    FakeUsrloc ul(100);
    NatPinger p;
    p.config().interval_s = 1;
    CPPUNIT_ASSERT(p.init(&ul, nullptr).isOk());
    p.tick(0);
    p.tick(500);   // about half
    p.tick(1700);  // late: the rest of the first pass, then the next pass's first 70%
    CPPUNIT_ASSERT(ul.ranges.size() >= 4);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{100}, ul.ranges[2].second);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, ul.ranges[3].first);
    CPPUNIT_ASSERT(ul.ranges[3].second >= 70 && ul.ranges[3].second <= 72);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(NatPingTest);

}  // namespace sipline::nathelper
