#include "core/server/sim_message.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace sipline {

class SimMessageTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SimMessageTest);
  CPPUNIT_TEST(crlfTextIsTakenByteForByte);
  CPPUNIT_TEST(oneBareLfMakesItAnEditorsFile);
  CPPUNIT_TEST(crlfTextWithAWrongContentLengthIsNotCorrected);
  CPPUNIT_TEST(bareLfBecomesCrlfEverywhere);
  CPPUNIT_TEST(contentLengthIsSetToTheConvertedBody);
  CPPUNIT_TEST(compactContentLengthIsCorrectedToo);
  CPPUNIT_TEST(rightContentLengthGivesNoNote);
  CPPUNIT_TEST(missingBlankLineAfterHeadersIsAdded);
  CPPUNIT_TEST(editorsTrailingNewlinesAreNotBody);
  CPPUNIT_TEST(missingContentLengthIsNotAdded);
  CPPUNIT_TEST(leadingBlankLinesAreDropped);
  CPPUNIT_TEST(fileErrorsNameTheFile);
  CPPUNIT_TEST_SUITE_END();

 public:
  void crlfTextIsTakenByteForByte() {
    std::string exact = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 6\r\n\r\nbody\r\n\r\n";
    SimMessage e = prepareSimMessage(exact);
    CPPUNIT_ASSERT_EQUAL(exact, e.text);
    CPPUNIT_ASSERT(e.notes.empty());
  }

  void oneBareLfMakesItAnEditorsFile() {
    SimMessage m = prepareSimMessage("OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\n");
    CPPUNIT_ASSERT_EQUAL(std::string("OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n"), m.text);
    CPPUNIT_ASSERT(!m.notes.empty());
  }

  void crlfTextWithAWrongContentLengthIsNotCorrected() {
    std::string text = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 99\r\n\r\nxy";
    SimMessage m = prepareSimMessage(text);
    CPPUNIT_ASSERT_EQUAL(text, m.text);  // testing a malformed message stays possible
    CPPUNIT_ASSERT(m.notes.empty());
  }

  void bareLfBecomesCrlfEverywhere() {
    SimMessage m = prepareSimMessage("OPTIONS sip:a SIP/2.0\nVia: x\r\nTo: y\n\na=1\nb=2\n");
    CPPUNIT_ASSERT_EQUAL(
        std::string("OPTIONS sip:a SIP/2.0\r\nVia: x\r\nTo: y\r\n\r\na=1\r\nb=2\r\n"), m.text);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.notes.size());
    CPPUNIT_ASSERT(m.notes[0].find("CRLF") != std::string::npos);
  }

  void contentLengthIsSetToTheConvertedBody() {
    SimMessage m = prepareSimMessage("INVITE sip:a SIP/2.0\ncontent-length:   3\n\nv=0\no=x\n");
    CPPUNIT_ASSERT_EQUAL(
        std::string("INVITE sip:a SIP/2.0\r\ncontent-length: 10\r\n\r\nv=0\r\no=x\r\n"), m.text);
    CPPUNIT_ASSERT_EQUAL(std::size_t(2), m.notes.size());
    CPPUNIT_ASSERT_EQUAL(
        std::string("Content-Length 3 was set to 10 (the body's length with CRLF line ends)"),
        m.notes[1]);
  }

  void compactContentLengthIsCorrectedToo() {
    SimMessage m = prepareSimMessage("MESSAGE sip:a SIP/2.0\nl: 0\n\nhello\n");
    CPPUNIT_ASSERT_EQUAL(std::string("MESSAGE sip:a SIP/2.0\r\nl: 7\r\n\r\nhello\r\n"), m.text);
  }

  void rightContentLengthGivesNoNote() {
    SimMessage m = prepareSimMessage("MESSAGE sip:a SIP/2.0\nContent-Length: 0\n\n");
    CPPUNIT_ASSERT_EQUAL(std::string("MESSAGE sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n"), m.text);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), m.notes.size());
  }

  void missingBlankLineAfterHeadersIsAdded() {
    SimMessage m = prepareSimMessage("ACK sip:a SIP/2.0\nContent-Length: 0\n");
    CPPUNIT_ASSERT_EQUAL(std::string("ACK sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n"), m.text);
    CPPUNIT_ASSERT(m.notes.back().find("blank line") != std::string::npos);
  }

  void editorsTrailingNewlinesAreNotBody() {
    SimMessage none = prepareSimMessage("ACK sip:a SIP/2.0\nContent-Length: 0\n\n\n\n");
    CPPUNIT_ASSERT_EQUAL(std::string("ACK sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n"), none.text);
    SimMessage body = prepareSimMessage("ACK sip:a SIP/2.0\nContent-Length: 0\n\nv=0\n\n\n");
    CPPUNIT_ASSERT_EQUAL(std::string("ACK sip:a SIP/2.0\r\nContent-Length: 5\r\n\r\nv=0\r\n"),
                         body.text);
  }

  void missingContentLengthIsNotAdded() {
    SimMessage m = prepareSimMessage("MESSAGE sip:a SIP/2.0\nTo: b\n\nhi\n");
    CPPUNIT_ASSERT_EQUAL(std::string("MESSAGE sip:a SIP/2.0\r\nTo: b\r\n\r\nhi\r\n"), m.text);
  }

  void leadingBlankLinesAreDropped() {
    SimMessage m = prepareSimMessage("\n\nOPTIONS sip:a SIP/2.0\nl: 0\n\n");
    CPPUNIT_ASSERT_EQUAL(std::string("OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n"), m.text);
  }

  void fileErrorsNameTheFile() {
    Result<SimMessage> missing = readSimMessage("/nonexistent/dir/x.sip");
    CPPUNIT_ASSERT(!missing.isOk());
    CPPUNIT_ASSERT(missing.status().message().find("/nonexistent/dir/x.sip: cannot read") == 0);
    char path[] = "/tmp/sim_message_testXXXXXX";
    int fd = mkstemp(path);
    CPPUNIT_ASSERT(fd >= 0);
    close(fd);
    Result<SimMessage> empty = readSimMessage(path);
    CPPUNIT_ASSERT(!empty.isOk());
    CPPUNIT_ASSERT(empty.status().message().find("empty") != std::string::npos);
    {
      std::ofstream out(path, std::ios::binary);
      out << "OPTIONS sip:a SIP/2.0\nl: 0\n\n";
    }
    Result<SimMessage> ok = readSimMessage(path);
    std::remove(path);
    CPPUNIT_ASSERT(ok.isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("OPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n"), ok.value().text);
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(SimMessageTest);

}  // namespace sipline
