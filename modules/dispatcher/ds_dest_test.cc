#include "modules/dispatcher/ds_dest.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace sipline::dispatcher {

class DsDestTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DsDestTest);
  CPPUNIT_TEST(parsesFullLine);
  CPPUNIT_TEST(skipsCommentsAndBlankLines);
  CPPUNIT_TEST(rejectsBadFields);
  CPPUNIT_TEST(fileErrorsNameEveryBadLine);
  CPPUNIT_TEST(missingFileIsNotFound);
  CPPUNIT_TEST(listSortsByPriorityAndDropsDuplicates);
  CPPUNIT_TEST(serializeRoundTrips);
  CPPUNIT_TEST(statesParse);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesFullLine() {
    Destination d;
    bool skip = true;
    Status st = parseListLine("  2 sip:[::1]:5080;transport=tcp 2 7 gw=a 5 ", d, skip);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(!skip);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(2), d.setid);
    CPPUNIT_ASSERT(d.initial == DsState::kProbing);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(7), d.priority);
    CPPUNIT_ASSERT_EQUAL(std::string("gw=a"), d.attrs);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(5), d.weight);
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), d.host);
    CPPUNIT_ASSERT_EQUAL(std::uint16_t(5080), d.port);
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]:5080"), d.hostport);
    st = parseListLine("1 sip:gw.example.com", d, skip);
    CPPUNIT_ASSERT(st.isOk());
    CPPUNIT_ASSERT(d.initial == DsState::kActive);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(1), d.weight);
    CPPUNIT_ASSERT_EQUAL(std::string("gw.example.com"), d.hostport);
  }

  void skipsCommentsAndBlankLines() {
    Destination d;
    bool skip = false;
    CPPUNIT_ASSERT(parseListLine("   ", d, skip).isOk() && skip);
    CPPUNIT_ASSERT(parseListLine("# 1 sip:a", d, skip).isOk() && skip);
  }

  void rejectsBadFields() {
    Destination d;
    bool skip = false;
    const char* bad[] = {"1",
                         "x sip:10.0.0.1",
                         "-1 sip:10.0.0.1",
                         "1 10.0.0.1",
                         "1 tel:+123",
                         "1 sip:10.0.0.1 3",
                         "1 sip:10.0.0.1 0 high",
                         "1 sip:10.0.0.1 0 0 a -2",
                         "1 sip:10.0.0.1 0 0 a 1000001",
                         "1 sip:10.0.0.1 0 0 a 1 extra"};
    for (const char* line : bad) {
      CPPUNIT_ASSERT_MESSAGE(line, !parseListLine(line, d, skip).isOk());
    }
  }

  void fileErrorsNameEveryBadLine() {
    std::string path = "/tmp/ds_test_" + std::to_string(::getpid()) + ".list";
    {
      std::ofstream f(path);
      f << "# gateways\n1 sip:127.0.0.1:5070\nbad line here\n\n1 sip:127.0.0.1:5071 9\n";
    }
    Result<std::vector<Destination>> r = readListFile(path);
    std::remove(path.c_str());
    CPPUNIT_ASSERT(!r.isOk());
    const std::string& m = r.status().message();
    CPPUNIT_ASSERT_MESSAGE(m, m.find(path + ":3:") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(m, m.find(path + ":5:") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(m, m.find(":2:") == std::string::npos);
  }

  void missingFileIsNotFound() {
    Result<std::vector<Destination>> r = readListFile("/nonexistent/ds.list");
    CPPUNIT_ASSERT(!r.isOk());
    CPPUNIT_ASSERT(r.status().code() == Code::kNotFound);
  }

  void listSortsByPriorityAndDropsDuplicates() {
    std::vector<Destination> in;
    for (auto [set, uri, prio] :
         std::initializer_list<std::tuple<int, const char*, int>>{{2, "sip:10.0.0.1", 5},
                                                                  {1, "sip:10.0.0.2", 3},
                                                                  {2, "sip:10.0.0.3", 1},
                                                                  {2, "sip:10.0.0.1", 0}}) {
      Destination d;
      d.setid = set;
      d.uri = uri;
      d.priority = prio;
      CPPUNIT_ASSERT(checkDestination(d).isOk());
      in.push_back(d);
    }
    std::vector<std::string> dups;
    DsList l = buildList(in, &dups);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), dups.size());
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), l.sets.size());
    CPPUNIT_ASSERT_EQUAL(std::int64_t(1), l.sets[0].id);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), l.sets[1].first_slot);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.3"), l.sets[1].dests[0].uri);
    CPPUNIT_ASSERT_EQUAL(std::int64_t(5), l.sets[1].dests[1].priority);
    CPPUNIT_ASSERT_EQUAL(std::size_t(3), l.size());
    CPPUNIT_ASSERT(l.find(3) == nullptr);
  }

  void serializeRoundTrips() {
    std::vector<Destination> in(2);
    in[0].setid = 1;
    in[0].uri = "sip:10.0.0.1:5060";
    in[0].attrs = "a b=c";
    in[0].socket = "udp:127.0.0.1:5060";
    in[0].weight = 4;
    in[1].setid = 3;
    in[1].uri = "sip:10.0.0.2";
    in[1].initial = DsState::kInactive;
    for (auto& d : in) CPPUNIT_ASSERT(checkDestination(d).isOk());
    DsList l = buildList(in);
    DsList back;
    CPPUNIT_ASSERT(deserializeList(serializeList(l), back));
    CPPUNIT_ASSERT_EQUAL(serializeList(l), serializeList(back));
    CPPUNIT_ASSERT_EQUAL(std::string("a b=c"), back.sets[0].dests[0].attrs);
    CPPUNIT_ASSERT(back.sets[1].dests[0].initial == DsState::kInactive);
    CPPUNIT_ASSERT(!deserializeList("1\tsip:x\n", back));
    CPPUNIT_ASSERT(!deserializeList("1\tsip:x\t\t0\t1\t0\t", back));
  }

  void statesParse() {
    CPPUNIT_ASSERT(parseState("a").value() == DsState::kActive);
    CPPUNIT_ASSERT(parseState("I").value() == DsState::kInactive);
    CPPUNIT_ASSERT(parseState("probing").value() == DsState::kProbing);
    CPPUNIT_ASSERT(!parseState("x").isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("probing"), std::string(stateName(DsState::kProbing)));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(DsDestTest);

}  // namespace sipline::dispatcher
