#include "core/server/script_reload.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/sip/msg_context.h"

namespace sipline {
namespace {

const char kOptions[] =
    "OPTIONS sip:example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:bob@example.org>;tag=ft\r\n"
    "To: <sip:example.com>\r\n"
    "Call-ID: abc@host\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";

std::vector<std::string> g_seen;
std::set<std::string> g_tables;  // shared tables "created" at start

// Core commands, `probe(text)` (records text) and `shared_table(name)`, which stands for a
// module command that needs a shm table of its own: new names are fine only at start.
struct Commands {
  CommandRegistry registry;
  Commands() {
    Status st = registerCoreCommands(registry);
    CPPUNIT_ASSERT(st.isOk());
    CommandSpec probe;
    probe.name = "probe";
    probe.module = "test";
    probe.args = {ArgSpec::str("text")};
    probe.bind = [](const ScriptArgs& args, BindContext&) -> Result<BoundCallPtr> {
      std::string text = args[0].text;
      return makeCall([text](MsgContext&) {
        g_seen.push_back(text);
        return Verdict::ok();
      });
    };
    CPPUNIT_ASSERT(registry.add(std::move(probe)).isOk());
    CommandSpec table;
    table.name = "shared_table";
    table.module = "test";
    table.args = {ArgSpec::str("name")};
    table.bind = [](const ScriptArgs& args, BindContext& bc) -> Result<BoundCallPtr> {
      if (scriptIsReloading() && g_tables.count(args[0].text) == 0) {
        return bc.error(args[0], requireRestart("shared_table(\"" + args[0].text + "\")"));
      }
      g_tables.insert(args[0].text);
      return makeCall([](MsgContext&) { return Verdict::ok(); });
    };
    CPPUNIT_ASSERT(registry.add(std::move(table)).isOk());
  }
};

std::string routes(const std::string& body) { return "route {\n  " + body + "\n}\n"; }

// Runs the request route of `script` and returns what probe() saw.
std::string runProbe(const Script* script) {
  g_seen.clear();
  SipMessage msg;
  CPPUNIT_ASSERT(msg.parse(kOptions) == ParseError::kOk);
  ReceiveInfo rcv;
  CPPUNIT_ASSERT(SockAddr::fromNumeric("192.0.2.7", 5099, rcv.src));
  MsgContext ctx(msg, rcv, kRequestRoute);
  script->runRequest(ctx);
  return g_seen.empty() ? "" : g_seen.back();
}

// Runs fn in a forked child (a process started from the master); true if it returned true.
template <class Fn>
bool inChild(Fn fn) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn() ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

class ScriptReloadTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ScriptReloadTest);
  CPPUNIT_TEST(sourceSetRoundTrip);
  CPPUNIT_TEST(sourceSetRejectsDamage);
  CPPUNIT_TEST(reloadPublishesAndAWorkerSwitchesBeforeItsNextMessage);
  CPPUNIT_TEST(aBrokenScriptKeepsTheOldOneAndTheNextReloadWorks);
  CPPUNIT_TEST(workersCompileWhatTheMasterCheckedEvenIfTheFileChangedSince);
  CPPUNIT_TEST(sourcesWithANulByteSurviveTheSharedCopy);
  CPPUNIT_TEST(aProcessForkedAfterTheReloadStartsWithTheNewScript);
  CPPUNIT_TEST(aScriptNeedingANewSharedTableIsRefused);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    char tmpl[] = "/tmp/sipline-reload-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/t.routes";
    g_tables.clear();
  }
  void tearDown() override {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }

  void sourceSetRoundTrip() {
    SourceSet s;
    s.add("/a.routes", "route { exit; }\n");
    s.add("/inc/b.routes", std::string("with\0nul and \n lines", 20));
    s.add("/empty", "");
    Result<SourceSet> back = SourceSet::deserialize(s.serialize());
    CPPUNIT_ASSERT(back.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, back.value().size());
    CPPUNIT_ASSERT_EQUAL(std::string("route { exit; }\n"), *back.value().find("/a.routes"));
    CPPUNIT_ASSERT_EQUAL(std::string("with\0nul and \n lines", 20),
                         *back.value().find("/inc/b.routes"));
    CPPUNIT_ASSERT_EQUAL(std::string(), *back.value().find("/empty"));
    CPPUNIT_ASSERT(back.value().find("/other") == nullptr);
  }

  void sourceSetRejectsDamage() {
    SourceSet s;
    s.add("/a.routes", "route { exit; }\n");
    std::string flat = s.serialize();
    CPPUNIT_ASSERT(!SourceSet::deserialize("not a snapshot").isOk());
    CPPUNIT_ASSERT(!SourceSet::deserialize(flat.substr(0, flat.size() - 3)).isOk());
    std::string bad = flat;
    bad.replace(bad.find("9 "), 2, "x ");
    CPPUNIT_ASSERT(!SourceSet::deserialize(bad).isOk());
  }

  void reloadPublishesAndAWorkerSwitchesBeforeItsNextMessage() {
    Fixture f(*this, routes("probe(\"one\");"));
    CPPUNIT_ASSERT_EQUAL(std::string("one"), runProbe(f.reloader.current()));
    // A worker forked now runs "one" (generation 1) and notices the reload before its next
    // message.
    int to_child[2];
    CPPUNIT_ASSERT(pipe(to_child) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(to_child[1]);
      char c;
      bool ok = f.reloader.generation() == 1 && read(to_child[0], &c, 1) == 1;
      ok = ok && runProbe(f.reloader.current()) == "two" && f.reloader.generation() == 2;
      _exit(ok ? 0 : 1);
    }
    close(to_child[0]);
    write("two");
    Status st = f.reloader.reload();
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    CPPUNIT_ASSERT(::write(to_child[1], "r", 1) == 1);
    close(to_child[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CPPUNIT_ASSERT_EQUAL(std::string("two"), runProbe(f.reloader.current()));
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, f.reloader.generation());
  }

  void aBrokenScriptKeepsTheOldOneAndTheNextReloadWorks() {
    Fixture f(*this, routes("probe(\"one\");"));
    writeRaw("route {\n  probe(\"x\"\n}\n");
    Status st = f.reloader.reload();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find(path_ + ":3:") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.message().find("stays") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, reloadShared()->generation.load());
    CPPUNIT_ASSERT_EQUAL(std::string("one"), runProbe(f.reloader.current()));
    CPPUNIT_ASSERT(!reloadShared()->last_ok);
    // A worker sees no new generation, so it keeps running without recompiling.
    CPPUNIT_ASSERT(inChild([&] { return runProbe(f.reloader.current()) == "one"; }));

    write("three");
    CPPUNIT_ASSERT(f.reloader.reload().isOk());
    CPPUNIT_ASSERT_EQUAL(std::string("three"), runProbe(f.reloader.current()));
    CPPUNIT_ASSERT(reloadShared()->last_ok);
  }

  void workersCompileWhatTheMasterCheckedEvenIfTheFileChangedSince() {
    Fixture f(*this, routes("probe(\"one\");"));
    // A worker forked before the reload; it switches only after the file changed again.
    int to_child[2];
    CPPUNIT_ASSERT(pipe(to_child) == 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(to_child[1]);
      char c;
      bool ok = f.reloader.generation() == 1 && read(to_child[0], &c, 1) == 1;
      ok = ok && runProbe(f.reloader.current()) == "two" && f.reloader.generation() == 2;
      _exit(ok ? 0 : 1);
    }
    close(to_child[0]);
    write("two");
    CPPUNIT_ASSERT(f.reloader.reload().isOk());
    writeRaw("this is not a script");  // edited again before the worker switched
    CPPUNIT_ASSERT(::write(to_child[1], "r", 1) == 1);
    close(to_child[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }

  void sourcesWithANulByteSurviveTheSharedCopy() {
    // A NUL inside a comment: the shm copy must keep the whole text (not stop at the NUL).
    const char text[] = "# a\0b\nroute {\n  probe(\"one\");\n}\n";
    Fixture f(*this, std::string(text, sizeof(text) - 1));
    CPPUNIT_ASSERT(inChild([&] {
      // force a recompile from the published copy of generation 1: a new Script object
      // only when the copy deserialised and compiled
      const Script* before = f.reloader.current();
      f.reloader.forgetGenerationForTest();
      const Script* after = f.reloader.current();
      return after != before && runProbe(after) == "one" && f.reloader.generation() == 1;
    }));
  }

  void aProcessForkedAfterTheReloadStartsWithTheNewScript() {
    Fixture f(*this, routes("probe(\"one\");"));
    write("two");
    CPPUNIT_ASSERT(f.reloader.reload().isOk());
    std::remove(path_.c_str());  // it must not need the file: it inherits the master's script
    CPPUNIT_ASSERT(inChild(
        [&] { return f.reloader.generation() == 2 && runProbe(f.reloader.current()) == "two"; }));
  }

  void aScriptNeedingANewSharedTableIsRefused() {
    Fixture f(*this, routes("shared_table(\"calls\"); probe(\"one\");"));
    write("two", "shared_table(\"calls\"); ");
    CPPUNIT_ASSERT(f.reloader.reload().isOk());
    write("three", "shared_table(\"calls\"); shared_table(\"queues\"); ");
    Status st = f.reloader.reload();
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT_MESSAGE(st.message(),
                           st.message().find("shared_table(\"queues\") needs a new shared table; "
                                             "restart sipline") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(std::string("two"), runProbe(f.reloader.current()));
  }

 private:
  // A started "master": segment, first script compiled from path_, shared reload state.
  struct Fixture {
    Commands commands;
    std::unique_ptr<shm::Segment> segment;
    ScriptReloader reloader;
    Fixture(ScriptReloadTest& t, const std::string& text)
        : segment(std::move(shm::Segment::create(1 << 20).value())),
          reloader(t.path_, commands.registry, nullptr) {
      t.writeRaw(text);
      SourceSet sources;
      Result<ScriptPtr> first = reloader.compileFresh(sources);
      CPPUNIT_ASSERT_MESSAGE(first.isOk() ? "" : first.status().message(), first.isOk());
      CPPUNIT_ASSERT_EQUAL(std::size_t{1}, sources.size());
      Status st = reloader.start(*segment, std::move(first.value()), sources);
      CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
    }
  };

  void writeRaw(const std::string& text) {
    std::string tmp = path_ + ".tmp";
    std::ofstream(tmp) << text;
    CPPUNIT_ASSERT(std::rename(tmp.c_str(), path_.c_str()) == 0);
  }
  void write(const std::string& word, const std::string& before = "") {
    writeRaw(routes(before + "probe(\"" + word + "\");"));
  }

  std::string dir_;
  std::string path_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ScriptReloadTest);

}  // namespace sipline
