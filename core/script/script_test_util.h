// Test helper for the script tests: a command registry with the core commands plus probe(),
// which records what it sees, and a few stand-ins for module commands (t_reply of "tm",
// request_only); compiling a script text and running its request route on one INVITE; and a
// scratch directory for include files. Tests only.
#pragma once

#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/script/compiler.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"

namespace sipline::scripttest {

inline const char kInvite[] =
    "INVITE sip:alice@example.com:5070 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:bob@example.org>;tag=ft\r\n"
    "To: <sip:alice@example.com>\r\n"
    "Call-ID: abc@host\r\n"
    "CSeq: 1 INVITE\r\n"
    "User-Agent: tester\r\n"
    "Content-Length: 0\r\n\r\n";

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Fixture {
  CommandRegistry commands;
  std::vector<std::string> seen;
  ScriptOptions options;             // defines and module flags for the next compile
  bool dropped = false;              // of the last run()
  std::string src_ip = "192.0.2.7";  // where run()'s message comes from, and how
  Proto proto = Proto::kUdp;

  Fixture() {
    Status st = registerCoreCommands(commands);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CommandSpec probe;
    probe.name = "probe";
    probe.module = "test";
    probe.args = {ArgSpec::str("text"), ArgSpec::integer("rc").opt()};
    probe.route_mask = kRequestRoute | kOnReplyRoute | kBranchRoute | kFailureRoute;
    probe.bind = [this](const ScriptArgs& args, BindContext& bc) -> Result<BoundCallPtr> {
      Result<StrArg> text = bc.strArg(args[0]);
      if (!text.isOk()) return text.status();
      std::int64_t rc = 1;
      if (args.size() > 1) {
        Result<IntArg> r = bc.intArg(args[1]);
        if (!r.isOk()) return r.status();
        rc = r.value().constant();
      }
      return makeCall([this, text = std::move(text.value()), rc](MsgContext& ctx) {
        std::string scratch;
        seen.emplace_back(text.eval(ctx, scratch));
        return Verdict::of(static_cast<int>(rc));
      });
    };
    add(std::move(probe));
    add(simple("request_only", "test", kRequestRoute));
    add(simple("t_reply", "tm", kRequestRoute | kFailureRoute));
  }

  static CommandSpec simple(const char* name, const char* module, std::uint32_t mask) {
    CommandSpec c;
    c.name = name;
    c.module = module;
    c.route_mask = mask;
    c.bind = [](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
      return makeCall([](MsgContext&) { return Verdict::ok(); });
    };
    return c;
  }
  void add(CommandSpec spec) {
    Status st = commands.add(std::move(spec));
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }

  Result<ScriptPtr> compile(const std::string& text, const std::string& file = "t.routes") {
    return compileScriptText(text, file, commands, nullptr, options);
  }
  Status compileError(const std::string& text, const std::string& file = "t.routes") {
    Result<ScriptPtr> s = compile(text, file);
    return s.isOk() ? Status::ok() : s.status();
  }
  // The load-time warnings of a script that must compile.
  std::vector<std::string> warnings(const std::string& text, const std::string& file = "t.routes") {
    Result<ScriptPtr> s = compile(text, file);
    CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
    return s.value()->warnings();
  }

  // Runs the request route on kInvite and returns what probe() saw.
  std::vector<std::string> run(const std::string& text, int* rc = nullptr,
                               const std::string& file = "t.routes") {
    seen.clear();
    Result<ScriptPtr> s = compile(text, file);
    CPPUNIT_ASSERT_MESSAGE(s.isOk() ? "" : s.status().message(), s.isOk());
    SipMessage msg;
    CPPUNIT_ASSERT(msg.parse(kInvite) == ParseError::kOk);
    ReceiveInfo rcv;
    CPPUNIT_ASSERT(SockAddr::fromNumeric(src_ip, 5099, rcv.src));
    rcv.proto = proto;
    MsgContext ctx(msg, rcv, kRequestRoute);
    int r = s.value()->runRequest(ctx);
    dropped = ctx.dropped;
    if (rc != nullptr) *rc = r;
    return seen;
  }
};

// A fresh directory under /tmp, removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/sipline-script-XXXXXX";
    const char* made = mkdtemp(tmpl);
    CPPUNIT_ASSERT(made != nullptr);
    path_ = made;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  // Writes `text` to `name` (relative to the directory, subdirectories made) and returns
  // the full path.
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::path p = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    CPPUNIT_ASSERT(out.good());
    return p.string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

#define SCRIPT_ASSERT_ERROR(fixture, script, fragment)                                \
  do {                                                                                \
    Status st_ = (fixture).compileError(script);                                      \
    CPPUNIT_ASSERT_MESSAGE(std::string("script compiled: ") + (script), !st_.isOk()); \
    CPPUNIT_ASSERT_MESSAGE(st_.message() + "\n  wanted: " + (fragment),               \
                           ::sipline::scripttest::contains(st_.message(), fragment)); \
  } while (0)

}  // namespace sipline::scripttest
