// Test helper for the core command tests: a registry with the core commands plus probe(text),
// which records its evaluated argument; compiles a script and runs its request route on an
// INVITE, keeping the MsgContext for inspection. Test-only.
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <memory>
#include <string>
#include <vector>

#include "core/script/script.h"
#include "core/sip/msg_context.h"

namespace sipline::testing {

inline constexpr char kCoreTestInvite[] =
    "INVITE sip:alice@example.com:5070;transport=udp SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:bob@example.org>;tag=ft\r\n"
    "To: <sip:alice@example.com>\r\n"
    "Call-ID: abc@host\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

class CoreCommandFixture {
 public:
  CoreCommandFixture() {
    Status st = registerCoreCommands(commands_);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CommandSpec probe;
    probe.name = "probe";
    probe.module = "test";
    probe.args = {ArgSpec::str("text")};
    probe.route_mask = kAnyRoute;
    probe.bind = [this](const ScriptArgs& args, BindContext& bc) -> Result<BoundCallPtr> {
      Result<StrArg> text = bc.strArg(args[0]);
      if (!text.isOk()) return text.status();
      return makeCall([this, text = std::move(text.value())](MsgContext& ctx) {
        std::string scratch;
        seen.emplace_back(text.eval(ctx, scratch));
        return Verdict::ok();
      });
    };
    st = commands_.add(std::move(probe));
    CPPUNIT_ASSERT(st.isOk());
  }

  // The load error of a script ("" when it compiles).
  std::string loadError(const std::string& text) {
    Result<ScriptPtr> s = Script::compile(text, "t.routes", commands_, nullptr);
    return s.isOk() ? "" : s.status().message();
  }

  // Compiles text (it must compile) and runs its request route on message (an INVITE by
  // default). The context stays valid until the next run.
  MsgContext& run(const std::string& text, const char* message = kCoreTestInvite) {
    seen.clear();
    Result<ScriptPtr> s = Script::compile(text, "t.routes", commands_, nullptr);
    CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
    script_ = std::move(s.value());
    ctx_.reset();
    msg_ = std::make_unique<SipMessage>();
    CPPUNIT_ASSERT(msg_->parse(message) == ParseError::kOk);
    CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.7", 5099, rcv_.src));
    ctx_ = std::make_unique<MsgContext>(*msg_, rcv_,
                                        msg_->isRequest() ? kRequestRoute : kOnReplyRoute);
    rc = msg_->isRequest() ? script_->runRequest(*ctx_) : script_->runReply(*ctx_);
    return *ctx_;
  }

  // The message as it would leave.
  std::string built() {
    std::string out;
    CPPUNIT_ASSERT(msg_->build(out));
    return out;
  }

  std::vector<std::string> seen;
  int rc = 0;

 private:
  CommandRegistry commands_;
  ScriptPtr script_;
  std::unique_ptr<SipMessage> msg_;
  ReceiveInfo rcv_;
  std::unique_ptr<MsgContext> ctx_;
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace sipline::testing

// Asserts that `script` fails to load with an error containing `fragment`.
#define SL_ASSERT_LOAD_ERROR(fixture, script, fragment)                               \
  do {                                                                                \
    std::string err_ = (fixture).loadError(script);                                   \
    CPPUNIT_ASSERT_MESSAGE(std::string("script loaded: ") + (script), !err_.empty()); \
    CPPUNIT_ASSERT_MESSAGE(err_ + " (wanted: " + (fragment) + ")",                    \
                           ::sipline::testing::contains(err_, fragment));             \
  } while (0)
