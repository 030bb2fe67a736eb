// Tests of parseMultipart(), the Content-Type helpers and findSdpBody(), including the binary
// multipart body of RFC 4475 mpart01 read from test/corpora/ as it is.
#include "core/parser/multipart.h"

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/parser/edit_list.h"
#include "core/parser/sdp.h"
#include "test/test_files.h"

namespace sipline {
namespace {

std::string s(std::string_view v) { return std::string(v); }

using testing::corpusPath;
using testing::readFile;

// Each part's views must be its offsets into body.
void checkOffsets(std::string_view body, const std::vector<MimePart>& parts) {
  for (const MimePart& p : parts) {
    CPPUNIT_ASSERT(p.body_offset + p.body.size() <= body.size());
    CPPUNIT_ASSERT(p.body.data() == body.data() + p.body_offset);
    CPPUNIT_ASSERT(p.headers.data() == body.data() + p.offset);
  }
}

const char kSdp[] =
    "v=0\r\no=- 1 1 IN IP4 192.168.1.2\r\ns=-\r\nc=IN IP4 192.168.1.2\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n";

std::string mixedWithSdp() {
  return std::string(
             "--unique-boundary-1\r\n"
             "Content-Type: text/plain\r\n"
             "\r\n"
             "hello\r\n"
             "--unique-boundary-1\r\n"
             "Content-Type: application/SDP\r\n"
             "Content-Disposition: session\r\n"
             "\r\n") +
         kSdp + "\r\n--unique-boundary-1--\r\n";
}

}  // namespace

class MultipartTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MultipartTest);
  CPPUNIT_TEST(splitsParts);
  CPPUNIT_TEST(parsesRfc4475BinaryMultipart);
  CPPUNIT_TEST(skipsPreambleAndEpilogue);
  CPPUNIT_TEST(acceptsTransportPaddingAndLfLineEnds);
  CPPUNIT_TEST(delimiterMustStartALineAndEndIt);
  CPPUNIT_TEST(handlesPartsWithoutHeadersOrBody);
  CPPUNIT_TEST(readsFoldedPartContentType);
  CPPUNIT_TEST(rejectsMalformedMultipart);
  CPPUNIT_TEST(readsContentTypeParams);
  CPPUNIT_TEST(matchesMediaTypes);
  CPPUNIT_TEST(findsSdpBody);
  CPPUNIT_TEST(findsSdpInNestedMultipart);
  CPPUNIT_TEST(rewritesSdpInsideMultipart);
  CPPUNIT_TEST(survivesTruncationAndMutation);
  CPPUNIT_TEST_SUITE_END();

 public:
  void splitsParts() {
    const std::string body = mixedWithSdp();
    std::vector<MimePart> parts;
    CPPUNIT_ASSERT(parseMultipart("unique-boundary-1", body, parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string("Content-Type: text/plain\r\n"), s(parts[0].headers));
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain"), s(parts[0].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string("hello"), s(parts[0].body));
    CPPUNIT_ASSERT_EQUAL(std::size_t{21}, parts[0].offset);
    CPPUNIT_ASSERT_EQUAL(std::string("application/SDP"), s(parts[1].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string(kSdp), s(parts[1].body));
    CPPUNIT_ASSERT_EQUAL(body.find("v=0"), parts[1].body_offset);
    checkOffsets(body, parts);
  }

  void parsesRfc4475BinaryMultipart() {
    const std::string msg = readFile(corpusPath("rfc4475/mpart01.dat"));
    CPPUNIT_ASSERT_EQUAL(std::size_t{1290}, msg.size());
    const std::size_t hdr_end = msg.find("\r\n\r\n");
    const std::string body = msg.substr(hdr_end + 4);
    CPPUNIT_ASSERT_EQUAL(std::size_t{553}, body.size());  // its Content-Length
    const std::size_t ct = msg.find("Content-Type: ");
    const std::string content_type = msg.substr(ct + 14, msg.find("\r\n", ct) - ct - 14);
    CPPUNIT_ASSERT(isMediaType(content_type, "multipart/mixed"));
    const std::string_view boundary = contentTypeParam(content_type, "boundary");
    CPPUNIT_ASSERT_EQUAL(std::string("7a9cbec02ceef655"), s(boundary));

    std::vector<MimePart> parts;
    CPPUNIT_ASSERT(parseMultipart(boundary, body, parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain"), s(parts[0].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string("Hello"), s(parts[0].body));
    CPPUNIT_ASSERT_EQUAL(std::string("application/octet-stream"), s(parts[1].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string("Content-Type: application/octet-stream\r\n"
                                     "Content-Transfer-Encoding: binary\r\n"),
                         s(parts[1].headers));
    const std::string_view bin = parts[1].body;
    CPPUNIT_ASSERT_EQUAL(std::size_t{342}, bin.size());  // NULs and CRs included
    CPPUNIT_ASSERT_EQUAL(std::size_t{187}, parts[1].body_offset);
    CPPUNIT_ASSERT_EQUAL(std::string("\x30\x82\x01\x52", 4), s(bin.substr(0, 4)));
    CPPUNIT_ASSERT_EQUAL(std::string("\xbc\x99\xd0\x05", 4), s(bin.substr(bin.size() - 4)));
    std::size_t nuls = 0;
    for (char c : bin) nuls += c == '\0' ? 1 : 0;
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, nuls);
    checkOffsets(body, parts);

    std::string_view sdp;
    std::size_t offset = 0;
    CPPUNIT_ASSERT(findSdpBody(content_type, body, sdp, offset) == MultipartError::kNotFound);
  }

  void skipsPreambleAndEpilogue() {
    const std::string body =
        "This is the preamble.  It is to be ignored\r\n--simple boundary\r\n\r\n"
        "This is implicitly typed plain US-ASCII text.\r\n--simple boundary\r\n"
        "Content-type: text/plain; charset=us-ascii\r\n\r\n"
        "This is explicitly typed plain US-ASCII text.\r\n\r\n--simple boundary--\r\n"
        "This is the epilogue.  It is also to be ignored.\r\n--simple boundary\r\nX: y\r\n";
    std::vector<MimePart> parts;
    CPPUNIT_ASSERT(parseMultipart("simple boundary", body, parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string(""), s(parts[0].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string("This is implicitly typed plain US-ASCII text."),
                         s(parts[0].body));
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=us-ascii"), s(parts[1].content_type));
    // Only the last CRLF belongs to the delimiter.
    CPPUNIT_ASSERT_EQUAL(std::string("This is explicitly typed plain US-ASCII text.\r\n"),
                         s(parts[1].body));
    checkOffsets(body, parts);
  }

  void acceptsTransportPaddingAndLfLineEnds() {
    std::vector<MimePart> parts;
    CPPUNIT_ASSERT(parseMultipart("b", "--b \t\r\nContent-Type: a/b\r\n\r\nx\r\n--b-- \t\r\n",
                                  parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string("x"), s(parts[0].body));
    CPPUNIT_ASSERT(parseMultipart("b", "--b\nContent-Type: a/b\n\nx\ny\n--b\n\nz\n--b--", parts) ==
                   MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a/b"), s(parts[0].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string("x\ny"), s(parts[0].body));
    CPPUNIT_ASSERT_EQUAL(std::string("z"), s(parts[1].body));
  }

  void delimiterMustStartALineAndEndIt() {
    const std::string body =
        "--b\r\n\r\nline one--b\r\n--bb\r\n--b-x\r\n-- b\r\n--b\r\n\r\nsecond\r\n--b--";
    std::vector<MimePart> parts;
    CPPUNIT_ASSERT(parseMultipart("b", body, parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string("line one--b\r\n--bb\r\n--b-x\r\n-- b"), s(parts[0].body));
    CPPUNIT_ASSERT_EQUAL(std::string("second"), s(parts[1].body));
  }

  void handlesPartsWithoutHeadersOrBody() {
    std::vector<MimePart> parts;
    // Empty part, a part with headers only, a part without headers.
    CPPUNIT_ASSERT(parseMultipart("b",
                                  "--b\r\n--b\r\nContent-Type: a/b\r\n--b\r\n\r\nbody\r\n--b--",
                                  parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, parts.size());
    CPPUNIT_ASSERT(parts[0].headers.empty() && parts[0].body.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("Content-Type: a/b"), s(parts[1].headers));
    CPPUNIT_ASSERT_EQUAL(std::string("a/b"), s(parts[1].content_type));
    CPPUNIT_ASSERT(parts[1].body.empty());
    CPPUNIT_ASSERT(parts[2].headers.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("body"), s(parts[2].body));
  }

  void readsFoldedPartContentType() {
    std::vector<MimePart> parts;
    CPPUNIT_ASSERT(parseMultipart("b",
                                  "--b\r\ncontent-TYPE :\r\n application/sdp\r\nX-A: 1\r\n"
                                  "Content-Type: text/plain\r\n\r\nv=0\r\n--b--\r\n",
                                  parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("application/sdp"), s(parts[0].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string("v=0"), s(parts[0].body));
    CPPUNIT_ASSERT(parseMultipart("b", "--b\r\nContent-Type: a/b;\r\n\tx=y\r\n\r\n\r\n--b--",
                                  parts) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::string("a/b;\r\n\tx=y"), s(parts[0].content_type));
    CPPUNIT_ASSERT_EQUAL(std::string("y"), s(contentTypeParam(parts[0].content_type, "x")));
  }

  void rejectsMalformedMultipart() {
    std::vector<MimePart> parts;
    CPPUNIT_ASSERT(parseMultipart("", "--\r\n", parts) == MultipartError::kBadBoundary);
    CPPUNIT_ASSERT(parseMultipart(std::string(71, 'a'), "x", parts) ==
                   MultipartError::kBadBoundary);
    const std::string b70(70, 'a');
    CPPUNIT_ASSERT(parseMultipart(b70, "--" + b70 + "\r\n\r\nx\r\n--" + b70 + "--", parts) ==
                   MultipartError::kOk);
    CPPUNIT_ASSERT(parseMultipart("b", "", parts) == MultipartError::kNoDelimiter);
    CPPUNIT_ASSERT(parseMultipart("b", "no delimiter here", parts) == MultipartError::kNoDelimiter);
    CPPUNIT_ASSERT(parseMultipart("b", "--b--\r\n", parts) == MultipartError::kNoDelimiter);
    CPPUNIT_ASSERT(parseMultipart("b", "--b\r\n\r\nx\r\n", parts) ==
                   MultipartError::kNoCloseDelimiter);
    CPPUNIT_ASSERT(parseMultipart("b", "--b\r\n\r\nx\r\n--b\r\n\r\ny", parts) ==
                   MultipartError::kNoCloseDelimiter);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, parts.size());  // what was found before the error
    CPPUNIT_ASSERT(parseMultipart("b", "--b\r\n--b", parts) == MultipartError::kNoCloseDelimiter);
    CPPUNIT_ASSERT(parseMultipart("b", "--b\r\nno colon\r\n\r\nx\r\n--b--", parts) ==
                   MultipartError::kBadPartHeaders);
    CPPUNIT_ASSERT(parseMultipart("b", "--b\r\n folded first\r\n\r\nx\r\n--b--", parts) ==
                   MultipartError::kBadPartHeaders);
    CPPUNIT_ASSERT(parseMultipart("b", "--b\r\n: empty name\r\n\r\nx\r\n--b--", parts) ==
                   MultipartError::kBadPartHeaders);
    std::string many;
    for (std::size_t i = 0; i <= kMaxMimeParts; ++i) many += "--b\r\n\r\nx\r\n";
    CPPUNIT_ASSERT(parseMultipart("b", many + "--b--", parts) == MultipartError::kTooManyParts);
    CPPUNIT_ASSERT_EQUAL(std::string("No multipart close delimiter"),
                         std::string(multipartErrorText(MultipartError::kNoCloseDelimiter)));
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown multipart error"),
                         std::string(multipartErrorText(static_cast<MultipartError>(99))));
  }

  void readsContentTypeParams() {
    CPPUNIT_ASSERT_EQUAL(
        std::string("simple boundary"),
        s(contentTypeParam("multipart/mixed; boundary=\"simple boundary\"", "boundary")));
    CPPUNIT_ASSERT_EQUAL(
        std::string("abc"),
        s(contentTypeParam("multipart/mixed ; charset=x ; BOUNDARY = abc ;x", "boundary")));
    CPPUNIT_ASSERT_EQUAL(std::string("x"), s(contentTypeParam("a/b;flag;c=x", "c")));
    CPPUNIT_ASSERT(contentTypeParam("multipart/mixed", "boundary").empty());
    CPPUNIT_ASSERT(contentTypeParam("multipart/mixed;boundary=\"open", "boundary").empty());
    CPPUNIT_ASSERT(contentTypeParam("a/b;boundary=", "boundary").empty());
    CPPUNIT_ASSERT(contentTypeParam("", "boundary").empty());
  }

  void matchesMediaTypes() {
    CPPUNIT_ASSERT_EQUAL(std::string("multipart/mixed"),
                         s(mediaTypeOf("  multipart/mixed ;boundary=x")));
    CPPUNIT_ASSERT(isMediaType("Application/SDP", "application/sdp"));
    CPPUNIT_ASSERT(isMediaType("application / sdp ; x=y", "application/sdp"));
    CPPUNIT_ASSERT(!isMediaType("application/sdpx", "application/sdp"));
    CPPUNIT_ASSERT(!isMediaType("application", "application/sdp"));
    CPPUNIT_ASSERT(!isMediaType("", "application/sdp"));
  }

  void findsSdpBody() {
    std::string_view sdp;
    std::size_t offset = 99;
    CPPUNIT_ASSERT(findSdpBody("application/sdp", kSdp, sdp, offset) == MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, offset);
    CPPUNIT_ASSERT_EQUAL(std::string(kSdp), s(sdp));

    const std::string body = mixedWithSdp();
    CPPUNIT_ASSERT(findSdpBody("multipart/mixed;boundary=unique-boundary-1", body, sdp, offset) ==
                   MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(body.find("v=0"), offset);
    CPPUNIT_ASSERT_EQUAL(std::string(kSdp), s(sdp));

    CPPUNIT_ASSERT(findSdpBody("text/plain", "v=0", sdp, offset) == MultipartError::kNotFound);
    CPPUNIT_ASSERT(findSdpBody("multipart/mixed", body, sdp, offset) ==
                   MultipartError::kBadBoundary);
    CPPUNIT_ASSERT(findSdpBody("multipart/mixed;boundary=zzz", body, sdp, offset) ==
                   MultipartError::kNoDelimiter);
  }

  void findsSdpInNestedMultipart() {
    const std::string inner = mixedWithSdp();
    const std::string body =
        "--outer\r\nContent-Type: application/pidf+xml\r\n\r\n<presence/>\r\n"
        "--outer\r\nContent-Type: multipart/alternative; boundary=\"unique-boundary-1\"\r\n\r\n" +
        inner + "\r\n--outer--\r\n";
    std::string_view sdp;
    std::size_t offset = 0;
    CPPUNIT_ASSERT(findSdpBody("multipart/mixed; boundary=outer", body, sdp, offset) ==
                   MultipartError::kOk);
    CPPUNIT_ASSERT_EQUAL(body.find("v=0"), offset);
    CPPUNIT_ASSERT_EQUAL(std::string(kSdp), s(sdp));

    // Nesting beyond kMaxMultipartDepth is refused rather than followed.
    std::string deep = kSdp;
    std::string type = "application/sdp";
    for (int i = 0; i <= kMaxMultipartDepth; ++i) {
      const std::string b = "d" + std::to_string(i);
      deep = "--" + b + "\r\nContent-Type: " + type + "\r\n\r\n" + deep + "\r\n--" + b + "--";
      type = "multipart/mixed;boundary=" + b;
    }
    CPPUNIT_ASSERT(findSdpBody(type, deep, sdp, offset) == MultipartError::kTooDeep);
  }

  void rewritesSdpInsideMultipart() {
    const std::string body = mixedWithSdp();
    std::string_view sdp_text;
    std::size_t sdp_offset = 0;
    CPPUNIT_ASSERT(findSdpBody("multipart/mixed;boundary=unique-boundary-1", body, sdp_text,
                               sdp_offset) == MultipartError::kOk);
    SdpSession sdp;
    CPPUNIT_ASSERT(parseSdp(sdp_text, sdp) == SdpError::kOk);
    const SdpAddressRef ref = sdp.effectiveConnection(0);
    EditList edits;
    edits.replace(sdp_offset + ref.offset, ref.length, "203.0.113.1");
    std::string out;
    CPPUNIT_ASSERT(edits.build(body, out));
    CPPUNIT_ASSERT(out.find("c=IN IP4 203.0.113.1\r\n") != std::string::npos);
    CPPUNIT_ASSERT(out.find("o=- 1 1 IN IP4 192.168.1.2\r\n") != std::string::npos);
  }

  // Every prefix and single-byte mutation parses or fails cleanly and in bounds (ASan).
  void survivesTruncationAndMutation() {
    const std::string body =
        readFile(corpusPath("rfc4475/mpart01.dat")).substr(737) + "epilogue\r\n" + mixedWithSdp();
    std::vector<MimePart> parts;
    for (std::size_t n = 0; n <= body.size(); ++n) {
      const std::string prefix = body.substr(0, n);
      if (parseMultipart("7a9cbec02ceef655", prefix, parts) == MultipartError::kOk) {
        checkOffsets(prefix, parts);
      }
    }
    const char kBytes[] = {'\0', '\r', '\n', ' ', '-', ':', 'x'};
    for (std::size_t i = 0; i < body.size(); ++i) {
      for (char b : kBytes) {
        std::string m = body;
        m[i] = b;
        if (parseMultipart("7a9cbec02ceef655", m, parts) == MultipartError::kOk) {
          checkOffsets(m, parts);
        }
      }
    }
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(MultipartTest);

}  // namespace sipline
