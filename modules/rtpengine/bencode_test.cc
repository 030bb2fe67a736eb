#include "modules/rtpengine/bencode.h"

#include <cppunit/extensions/HelperMacros.h>

#include <random>
#include <string>

namespace sipline::rtpengine {

class BencodeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(BencodeTest);
  CPPUNIT_TEST(encodesInInsertionOrder);
  CPPUNIT_TEST(decodesAnNgReply);
  CPPUNIT_TEST(roundTripsNestedValues);
  CPPUNIT_TEST(decodesIntegerLimits);
  CPPUNIT_TEST(rejectsMalformedInput);
  CPPUNIT_TEST(boundsDepthAndCount);
  CPPUNIT_TEST(survivesRandomInput);
  CPPUNIT_TEST_SUITE_END();

 public:
  void encodesInInsertionOrder() {
    Bencode d = Bencode::dict();
    d.set("command", Bencode::string("ping"));
    d.set("TOS", Bencode::integer(-5));
    Bencode& l = d.set("flags", Bencode::list());
    l.push(Bencode::string("trust-address"));
    l.push(Bencode::string(""));
    CPPUNIT_ASSERT_EQUAL(std::string("d7:command4:ping3:TOSi-5e5:flagsl13:trust-address0:ee"),
                         d.encode());
    d.set("command", Bencode::string("offer"));  // replaces in place
    CPPUNIT_ASSERT_EQUAL(std::string("d7:command5:offer3:TOSi-5e5:flagsl13:trust-address0:ee"),
                         d.encode());
  }

  void decodesAnNgReply() {
    auto r = decodeBencode("d3:sdp12:v=0\r\no=- 1\r\n6:result2:oke");
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT(r.value().isDict());
    CPPUNIT_ASSERT_EQUAL(std::string("ok"), std::string(r.value().getString("result")));
    CPPUNIT_ASSERT_EQUAL(std::string("v=0\r\no=- 1\r\n"), std::string(r.value().getString("sdp")));
    CPPUNIT_ASSERT(r.value().get("missing") == nullptr);
    CPPUNIT_ASSERT(r.value().getString("missing").empty());
  }

  void roundTripsNestedValues() {
    std::string in = "d1:ali0ei-1e3:xyzd0:le1:kde1:bi42eee1:z0:e";
    auto r = decodeBencode(in);
    CPPUNIT_ASSERT_MESSAGE(r.status().message(), r.isOk());
    CPPUNIT_ASSERT_EQUAL(in, r.value().encode());
    const Bencode* a = r.value().get("a");
    CPPUNIT_ASSERT(a != nullptr && a->isList() && a->items().size() == 4);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{-1}, a->items()[1].intValue());
  }

  void decodesIntegerLimits() {
    CPPUNIT_ASSERT_EQUAL(std::int64_t{INT64_MAX},
                         decodeBencode("i9223372036854775807e").value().intValue());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{INT64_MIN},
                         decodeBencode("i-9223372036854775808e").value().intValue());
    CPPUNIT_ASSERT(!decodeBencode("i9223372036854775808e").isOk());
    CPPUNIT_ASSERT(!decodeBencode("i-9223372036854775809e").isOk());
    CPPUNIT_ASSERT(!decodeBencode("i99999999999999999999999e").isOk());
  }

  void rejectsMalformedInput() {
    const char* bad[] = {
        "",         "i",
        "ie",       "i-e",
        "i-0e",     "i01e",
        "i1",       "i1x",
        "x",        "-1:a",
        "01:a",     "2:a",
        "5:abc",    "4294967296:a",
        "l",        "li1e",
        "d",        "d1:a",
        "di1ei2ee", "d1:ai1e1:ai2ee",
        "i1ei2e",   "le ",
        "1:ab",     ":",
        "d1:ae",    "lxe",
        "3",
    };
    for (const char* in : bad) {
      auto r = decodeBencode(in);
      CPPUNIT_ASSERT_MESSAGE(std::string("accepted: ") + in, !r.isOk());
      CPPUNIT_ASSERT(r.status().message().find("bencode") != std::string::npos);
    }
  }

  void boundsDepthAndCount() {
    std::string deep(20, 'l');
    deep += std::string(20, 'e');
    CPPUNIT_ASSERT(!decodeBencode(deep).isOk());
    CPPUNIT_ASSERT(decodeBencode(deep, DecodeLimits{32, 1000}).isOk());
    std::string many = "l";
    for (int i = 0; i < 100; ++i) many += "i1e";
    many += "e";
    CPPUNIT_ASSERT(decodeBencode(many).isOk());
    auto r = decodeBencode(many, DecodeLimits{16, 50});
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().message().find("too many") != std::string::npos);
    // A huge nesting attempt fails fast instead of recursing.
    CPPUNIT_ASSERT(!decodeBencode(std::string(100000, 'l')).isOk());
  }

  void survivesRandomInput() {
    std::mt19937 rng(12345);
    const std::string alphabet = "ilde0123456789:-xa";
    const std::string seed = "d6:result2:ok3:sdp3:v=05:flagsl1:ai-3eee";
    for (int i = 0; i < 20000; ++i) {
      std::string s = seed;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        std::size_t at = rng() % (s.size() + 1);
        switch (rng() % 3) {
          case 0:
            s.insert(at, 1, alphabet[rng() % alphabet.size()]);
            break;
          case 1:
            if (at < s.size()) s.erase(at, 1);
            break;
          default:
            if (at < s.size()) s[at] = alphabet[rng() % alphabet.size()];
        }
      }
      auto r = decodeBencode(s);
      if (r.isOk()) CPPUNIT_ASSERT_EQUAL(s, r.value().encode());  // strict: one spelling
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(BencodeTest);

}  // namespace sipline::rtpengine
