#include "core/config/settings.h"

#include <cppunit/extensions/HelperMacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "core/config/settings_test_util.h"

namespace sipline {
namespace {

// The three required settings; whatever a test appends starts on line 4.
constexpr const char* kBase =
    "socket = \"udp:127.0.0.1:5060\";\n"
    "mpath = \"modules\";\n"
    "routes = \"sipline.routes\";\n";

class SettingsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsTest);
  CPPUNIT_TEST(loadsEveryKey);
  CPPUNIT_TEST(appliesDefaults);
  CPPUNIT_TEST(resolvesRelativePathsAgainstSettingsDir);
  CPPUNIT_TEST(keepsAbsolutePaths);
  CPPUNIT_TEST(loadsFromStringWithVirtualPath);
  CPPUNIT_TEST(acceptsIpv6Sockets);
  CPPUNIT_TEST(badSocketNamesItsListLine);
  CPPUNIT_TEST(refusesDuplicateSockets);
  CPPUNIT_TEST(listElementsOnTheirOwnLinesNameTheirLine);
  CPPUNIT_TEST(refusesEmptySocketList);
  CPPUNIT_TEST(refusesNonStringSocketEntries);
  CPPUNIT_TEST(unknownKeySuggestsClosestName);
  CPPUNIT_TEST(unknownKeyWithoutCloseName);
  CPPUNIT_TEST(unknownMiKeySuggests);
  CPPUNIT_TEST(wrongTypeNamesBothTypes);
  CPPUNIT_TEST(integerOutOfRangeNamesRange);
  CPPUNIT_TEST(refusesIntegerThatLibconfigWouldWrap);
  CPPUNIT_TEST(syntaxErrorNamesLine);
  CPPUNIT_TEST(refusesOpensips16NamesWithHints);
  CPPUNIT_TEST(hintsOpensips16SyntaxInParseErrors);
  CPPUNIT_TEST(reportsMissingRequiredSettings);
  CPPUNIT_TEST(refusesUnreadableRoutes);
  CPPUNIT_TEST(refusesMissingMpath);
  CPPUNIT_TEST(parsesLogLevelNamesAndNumbers);
  CPPUNIT_TEST(refusesBadLogSettings);
  CPPUNIT_TEST(keepsModuleParamTypes);
  CPPUNIT_TEST(refusesListAsModuleParam);
  CPPUNIT_TEST(refusesDuplicateModule);
  CPPUNIT_TEST(refusesBadModuleShape);
  CPPUNIT_TEST(checksMiSocketModeAndHttp);
  CPPUNIT_TEST(checksAliases);
  CPPUNIT_TEST(refusesUnknownUser);
  CPPUNIT_TEST(reportsMissingFile);
  CPPUNIT_TEST(includeResolvesAgainstSettingsDir);
  CPPUNIT_TEST(missingIncludeNamesFile);
  CPPUNIT_TEST(duplicateTopLevelKeyNamesIt);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    tmp_ = std::make_unique<testing::SettingsDir>();
    dir_ = tmp_->path();
  }

  void tearDown() override { tmp_.reset(); }

  void loadsEveryKey() {
    write("sub/main.routes", "route { exit; }\n");
    Result<Settings> r = load(
        "socket = [ \"udp:127.0.0.1:5060\", \"udp:[::1]:5062 as sip.example.com\" ];\n"
        "udp_workers = 8; tcp_workers = 2; shm_size = 256;\n"
        "log_level = \"debug\"; log_target = \"syslog\"; log_facility = \"local3\";\n"
        "user = \"root\"; group = \"root\"; pid_file = \"run/sipline.pid\";\n"
        "mpath = \"modules\"; routes = \"sub/main.routes\";\n"
        "alias = [ \"example.com\", \"SIP.example.com:5060\" ];\n"
        "mi = { socket = \"mi.sock\"; socket_mode = \"0600\"; socket_user = \"root\";\n"
        "       socket_group = \"root\"; http = \"127.0.0.1:8888\"; };\n"
        "modules = {\n"
        "  sl = {};\n"
        "  tm = { fr_timeout = 5; fr_inv_timeout = 30; };\n"
        "};\n"
        "max_while_loops = 500; max_message_size = 4096; max_headers = 64;\n"
        "max_header_length = 1024;\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const Settings& s = r.value();
    CPPUNIT_ASSERT_EQUAL(cfg(), s.file);
    CPPUNIT_ASSERT_EQUAL(dir_, s.dir);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, s.sockets.size());
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5060"), s.sockets[0].text);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:[::1]:5062"), s.sockets[1].text);
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com:5062"), s.sockets[1].advertised);
    CPPUNIT_ASSERT_EQUAL(8, s.udp_workers);
    CPPUNIT_ASSERT_EQUAL(2, s.tcp_workers);
    CPPUNIT_ASSERT_EQUAL(std::size_t{256}, s.shm_size_mb);
    CPPUNIT_ASSERT(s.log_level == LogLevel::kDbg);
    CPPUNIT_ASSERT(s.log_target == LogTarget::kSyslog);
    CPPUNIT_ASSERT_EQUAL(std::string("local3"), s.log_facility);
    CPPUNIT_ASSERT_EQUAL(std::string("root"), s.user);
    CPPUNIT_ASSERT_EQUAL(std::string("root"), s.group);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/run/sipline.pid", s.pid_file);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/modules", s.mpath);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sub/main.routes", s.routes);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, s.aliases.size());
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), s.aliases[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("sip.example.com:5060"), s.aliases[1]);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/mi.sock", s.mi.socket);
    CPPUNIT_ASSERT_EQUAL(std::string("0600"), s.mi.socket_mode);
    CPPUNIT_ASSERT_EQUAL(std::string("root"), s.mi.socket_user);
    CPPUNIT_ASSERT_EQUAL(std::string("root"), s.mi.socket_group);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:8888"), s.mi.http);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, s.modules.size());
    CPPUNIT_ASSERT_EQUAL(std::string("sl"), s.modules[0].name);
    CPPUNIT_ASSERT_EQUAL(10, s.modules[0].line);
    CPPUNIT_ASSERT(s.modules[0].params.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("tm"), s.modules[1].name);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, s.modules[1].params.size());
    const ModuleParamValue* fr = s.findModule("tm")->findParam("fr_inv_timeout");
    CPPUNIT_ASSERT(fr != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{30}, std::get<std::int64_t>(fr->value));
    CPPUNIT_ASSERT_EQUAL(11, fr->line);
    CPPUNIT_ASSERT_EQUAL(500, s.max_while_loops);
    CPPUNIT_ASSERT_EQUAL(std::size_t{4096}, s.max_message_size);
    CPPUNIT_ASSERT_EQUAL(64, s.max_headers);
    CPPUNIT_ASSERT_EQUAL(1024, s.max_header_length);
  }

  void appliesDefaults() {
    Result<Settings> r = load(kBase);
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const Settings& s = r.value();
    CPPUNIT_ASSERT_EQUAL(4, s.udp_workers);
    CPPUNIT_ASSERT_EQUAL(4, s.tcp_workers);
    CPPUNIT_ASSERT_EQUAL(std::size_t{64}, s.shm_size_mb);
    CPPUNIT_ASSERT(s.log_level == LogLevel::kNotice);
    CPPUNIT_ASSERT(s.log_target == LogTarget::kStderr);
    CPPUNIT_ASSERT_EQUAL(std::string("daemon"), s.log_facility);
    CPPUNIT_ASSERT(s.user.empty() && s.group.empty() && s.pid_file.empty());
    CPPUNIT_ASSERT(s.aliases.empty() && s.modules.empty());
    CPPUNIT_ASSERT(s.mi.socket.empty() && s.mi.http.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("0660"), s.mi.socket_mode);
    CPPUNIT_ASSERT_EQUAL(10000, s.max_while_loops);
    CPPUNIT_ASSERT_EQUAL(std::size_t{65535}, s.max_message_size);
    CPPUNIT_ASSERT_EQUAL(256, s.max_headers);
    CPPUNIT_ASSERT_EQUAL(16384, s.max_header_length);
  }

  void resolvesRelativePathsAgainstSettingsDir() {
    write(
        "conf/sipline.cfg",
        "socket = \"udp:127.0.0.1\";\nmpath = \"../modules\";\nroutes = \"./../sipline.routes\";\n"
        "pid_file = \"run/x.pid\";\nmi = { socket = \"../mi.sock\"; };\n");
    // Loaded through a relative path from another working directory.
    const std::string cwd = std::filesystem::current_path();
    CPPUNIT_ASSERT_EQUAL(0, chdir(dir_.c_str()));
    Result<Settings> r = loadSettings("conf/sipline.cfg");
    CPPUNIT_ASSERT_EQUAL(0, chdir(cwd.c_str()));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/conf/sipline.cfg", r.value().file);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/conf", r.value().dir);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/modules", r.value().mpath);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.routes", r.value().routes);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/conf/run/x.pid", r.value().pid_file);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/mi.sock", r.value().mi.socket);
  }

  void keepsAbsolutePaths() {
    Result<Settings> r =
        load("socket = \"udp:127.0.0.1\";\nmpath = \"" + dir_ + "/modules/\";\nroutes = \"" + dir_ +
             "/sipline.routes\";\npid_file = \"/run/sipline.pid\";\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/modules/", r.value().mpath);
    CPPUNIT_ASSERT_EQUAL(std::string("/run/sipline.pid"), r.value().pid_file);
  }

  void loadsFromStringWithVirtualPath() {
    Result<Settings> r = loadSettingsFromString(kBase, dir_ + "/virtual.cfg");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(dir_ + "/virtual.cfg", r.value().file);
    CPPUNIT_ASSERT_EQUAL(dir_ + "/sipline.routes", r.value().routes);
    Result<Settings> bad = loadSettingsFromString("udp_workers = 0;\n", dir_ + "/virtual.cfg");
    CPPUNIT_ASSERT_EQUAL(dir_ + "/virtual.cfg:1: 'udp_workers' must be in 1..256, got 0",
                         messageOf(bad));
  }

  void acceptsIpv6Sockets() {
    Result<Settings> r = load(std::string("socket = [ \"udp:[::1]:5062\", \"UDP:[::]\" ];\n") +
                              "mpath = \"modules\";\nroutes = \"sipline.routes\";\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT(r.value().sockets[0].ipv6);
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), r.value().sockets[0].address);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:[::]:5060"), r.value().sockets[1].text);
  }

  void badSocketNamesItsListLine() {
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":3: socket 'udp:1.2.3': '1.2.3' is not a valid IPv4 address",
        errorOf("mpath = \"modules\";\nsocket = [ \"udp:127.0.0.1\",\n  \"udp:1.2.3\" ];\n"));
  }

  void refusesDuplicateSockets() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":2: socket 'udp:127.0.0.1:5060' duplicates the socket on line 1 "
                             "(both are udp:127.0.0.1:5060)",
                         errorOf("socket = [ \"udp:127.0.0.1\",\n \"udp:127.0.0.1:5060\" ];\n"));
  }

  // libconfig records a string element at the line of the token after it: the last element of
  // a list written one per line would be blamed on the line of the ']'.
  void listElementsOnTheirOwnLinesNameTheirLine() {
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":4: socket 'udp:127.0.0.1:99999': port '99999' is out of range 1..65535",
        errorOf("mpath = \"modules\";\nsocket = [\n  \"udp:127.0.0.1:5060\",\n"
                "  \"udp:127.0.0.1:99999\"   # the public one\n\n];\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: socket 'udp:127.0.0.1:5060' duplicates the socket on line 3 "
                             "(both are udp:127.0.0.1:5060)",
                         errorOf("mpath = \"modules\";\nsocket = (\n  \"udp:127.0.0.1:5060\"\n"
                                 "  , \"tcp:127.0.0.1:5060\"\n  , \"udp:127.0.0.1:5060\"\n);\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":6: alias 'bad host!': 'bad host!' is not a valid host name",
                         errorOf(std::string(kBase) + "alias = [\n  \"example.com\",\n"
                                                      "  \"bad host!\"\n];\n"));
  }

  void refusesEmptySocketList() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":1: 'socket' needs at least one socket",
                         errorOf("socket = [];\n"));
  }

  void refusesNonStringSocketEntries() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":1: 'socket' must be a string or a list of strings, got an "
                             "integer",
                         errorOf("socket = 5060;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":2: 'socket' entries must be strings, got an integer",
                         errorOf("socket = ( \"udp:127.0.0.1\",\n 5060 );\n"));
  }

  void unknownKeySuggestsClosestName() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: unknown setting 'udp_worker' (did you mean 'udp_workers'?)",
                         errorOf(std::string(kBase) + "udp_worker = 4;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":5: unknown setting 'routs' (did you mean 'routes'?)",
                         errorOf(std::string(kBase) + "\nrouts = \"x\";\n"));
  }

  void unknownKeyWithoutCloseName() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: unknown setting 'tls_profile'",
                         errorOf(std::string(kBase) + "tls_profile = {};\n"));
  }

  void unknownMiKeySuggests() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":6: unknown setting 'mi.sockt' (did you mean 'socket'?)",
                         errorOf(std::string(kBase) + "mi = {\n  http = \"127.0.0.1:8888\";\n"
                                                      "  sockt = \"x\";\n};\n"));
  }

  void wrongTypeNamesBothTypes() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'udp_workers' must be an integer, got a string",
                         errorOf(std::string(kBase) + "udp_workers = \"4\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'shm_size' must be an integer, got a float",
                         errorOf(std::string(kBase) + "shm_size = 1.5;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'pid_file' must be a string, got a boolean",
                         errorOf(std::string(kBase) + "pid_file = true;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'mi' must be a group, e.g. mi = { socket = "
                             "\"/run/sipline/mi.sock\"; }, got a string",
                         errorOf(std::string(kBase) + "mi = \"/run/mi.sock\";\n"));
  }

  void integerOutOfRangeNamesRange() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'udp_workers' must be in 1..256, got 0",
                         errorOf(std::string(kBase) + "udp_workers = 0;\n"));
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":5: 'max_message_size' must be in 1024..1048576, got 100",
        errorOf(std::string(kBase) + "tcp_workers = 256;\nmax_message_size = 100;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'shm_size' must be in 1..65536, got 4294967360",
                         errorOf(std::string(kBase) + "shm_size = 4294967360L;\n"));
  }

  void refusesIntegerThatLibconfigWouldWrap() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: integer 4294967360 does not fit in 32 bits; write "
                             "4294967360L for a 64-bit integer",
                         errorOf(std::string(kBase) + "# 99999999999 in a comment is fine\n"
                                                      "shm_size = 4294967360;\n"));
    // Names with digits, strings, floats and hex stay untouched.
    CPPUNIT_ASSERT_EQUAL(
        std::string("<ok>"),
        messageOf(load(std::string(kBase) + "log_facility = \"local0\";\n"
                                            "modules = { m1 = { a = \"99999999999\";"
                                            " b = 1e12; c = 0xFFFFFFFF; "
                                            "d = -2147483648; }; };\n")));
  }

  void syntaxErrorNamesLine() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":5: syntax error",
                         errorOf(std::string(kBase) + "udp_workers = 4;\ntcp_workers = ;\n"));
  }

  void refusesOpensips16NamesWithHints() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: unknown setting 'children' (OpenSIPS 1.x name: use "
                             "udp_workers)",
                         errorOf(base + "children = 4;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: unknown setting 'listen' (OpenSIPS 1.x name: use socket)",
                         errorOf(base + "listen = \"udp:127.0.0.1:5060\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: unknown setting 'debug' (OpenSIPS 1.x name: use log_level)",
                         errorOf(base + "debug = 3;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: unknown setting 'loadmodule' (OpenSIPS 1.x name: modules "
                             "are listed in the modules group, e.g. modules = { tm = {}; })",
                         errorOf(base + "loadmodule = \"tm.so\";\n"));
    CPPUNIT_ASSERT(errorOf(base + "modparam = \"x\";\n")
                       .find(":4: unknown setting 'modparam' (OpenSIPS 1.x name: modules are "
                             "listed in the modules group") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: unknown setting 'fork' (OpenSIPS 1.x name: sipline runs in "
                             "the foreground; use -d to daemonize)",
                         errorOf(base + "fork = false;\n"));
  }

  void hintsOpensips16SyntaxInParseErrors() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: syntax error (OpenSIPS 1.x 'loadmodule': modules are listed "
                             "in the modules group, e.g. modules = { tm = {}; })",
                         errorOf(std::string(kBase) + "loadmodule \"tm.so\"\n"));
  }

  void reportsMissingRequiredSettings() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ": missing required setting 'socket' (at least one listener, "
                             "e.g. socket = \"udp:127.0.0.1:5060\";)",
                         errorOf("mpath = \"modules\";\nroutes = \"sipline.routes\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ": missing required setting 'mpath' (the module directory, e.g. "
                             "mpath = \"/usr/lib/sipline/modules\";)",
                         errorOf("socket = \"udp:127.0.0.1\";\nroutes = \"sipline.routes\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ": missing required setting 'routes' (the routing script, e.g. "
                             "routes = \"sipline.routes\";)",
                         errorOf("socket = \"udp:127.0.0.1\";\nmpath = \"modules\";\n"));
  }

  void refusesUnreadableRoutes() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":3: routes file '" + dir_ +
                             "/x/y.routes' cannot be read: No such file or directory",
                         errorOf("socket = \"udp:127.0.0.1\";\nmpath = \"modules\";\n"
                                 "routes = \"x/y.routes\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":3: routes file '" + dir_ + "/modules' is not a regular file",
                         errorOf("socket = \"udp:127.0.0.1\";\nmpath = \"modules\";\n"
                                 "routes = \"modules\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":3: 'routes' must not be empty",
                         errorOf("socket = \"udp:127.0.0.1\";\nmpath = \"modules\";\n"
                                 "routes = \"\";\n"));
  }

  void refusesMissingMpath() {
    CPPUNIT_ASSERT_EQUAL(
        cfg() + ":2: mpath '" + dir_ + "/mods' cannot be used: No such file or directory",
        errorOf("socket = \"udp:127.0.0.1\";\nmpath = \"mods\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":2: mpath '" + dir_ + "/sipline.routes' is not a directory",
                         errorOf("socket = \"udp:127.0.0.1\";\nmpath = \"sipline.routes\";\n"));
  }

  void parsesLogLevelNamesAndNumbers() {
    CPPUNIT_ASSERT(load(std::string(kBase) + "log_level = \"WARNING\";\n").value().log_level ==
                   LogLevel::kWarn);
    CPPUNIT_ASSERT(load(std::string(kBase) + "log_level = 4;\n").value().log_level ==
                   LogLevel::kDbg);
    CPPUNIT_ASSERT(load(std::string(kBase) + "log_level = -1;\n").value().log_level ==
                   LogLevel::kErr);
  }

  void refusesBadLogSettings() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'log_level' must be an OpenSIPS level -3..-1 or 1..4, got 0",
                         errorOf(base + "log_level = 0;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'log_level' must be one of alert, crit, error, warning, "
                             "notice, info, debug (or an OpenSIPS number -3..4), got 'debgu' "
                             "(did you mean 'debug'?)",
                         errorOf(base + "log_level = \"debgu\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'log_level' must be a string or an integer, got a float",
                         errorOf(base + "log_level = 2.0;\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'log_target' must be \"stderr\" or \"syslog\", got 'file'",
                         errorOf(base + "log_target = \"file\";\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'log_facility' must be daemon, user or local0..local7, got "
                             "'locl3' (did you mean 'local3'?)",
                         errorOf(base + "log_facility = \"locl3\";\n"));
  }

  void keepsModuleParamTypes() {
    Result<Settings> r = load(std::string(kBase) +
                              "modules = {\n  usrloc = {\n    a = 5;\n    b = 3000000000L;\n"
                              "    c = true;\n    d = 0.25;\n    e = \"write-back\";\n  };\n};\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    const ModuleConfig& m = r.value().modules.at(0);
    CPPUNIT_ASSERT_EQUAL(5, m.line);
    CPPUNIT_ASSERT_EQUAL(std::size_t{5}, m.params.size());
    CPPUNIT_ASSERT_EQUAL(std::string("integer"), m.params[0].typeName());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5}, std::get<std::int64_t>(m.params[0].value));
    CPPUNIT_ASSERT_EQUAL(6, m.params[0].line);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3000000000}, std::get<std::int64_t>(m.params[1].value));
    CPPUNIT_ASSERT_EQUAL(std::string("boolean"), m.params[2].typeName());
    CPPUNIT_ASSERT(std::get<bool>(m.params[2].value));
    CPPUNIT_ASSERT_EQUAL(std::string("float"), m.params[3].typeName());
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.25, std::get<double>(m.params[3].value), 1e-12);
    CPPUNIT_ASSERT_EQUAL(std::string("string"), m.params[4].typeName());
    CPPUNIT_ASSERT_EQUAL(std::string("write-back"), std::get<std::string>(m.params[4].value));
    CPPUNIT_ASSERT_EQUAL(10, m.params[4].line);
  }

  void refusesListAsModuleParam() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":6: module 'dispatcher' parameter 'sets' must be an integer, "
                             "boolean, float or string, got a list (lists and groups are "
                             "not parameter values)",
                         errorOf(std::string(kBase) + "modules = {\n  dispatcher = {\n"
                                                      "    sets = ( 1, 2 );\n  };\n};\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: module 'tm' parameter 'x' must be an integer, boolean, "
                             "float or string, got a group (lists and groups are not "
                             "parameter values)",
                         errorOf(std::string(kBase) + "modules = { tm = { x = {}; }; };\n"));
  }

  void refusesDuplicateModule() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":7: duplicate setting 'tm' (a setting, or a module in "
                             "'modules', may appear only once)",
                         errorOf(std::string(kBase) + "modules = {\n  sl = {};\n  tm = {};\n"
                                                      "  tm = { fr_timeout = 5; };\n};\n"));
  }

  void refusesBadModuleShape() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: module name 'Tm' must be lower-case letters, digits and '_'",
                         errorOf(base + "modules = { Tm = {}; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: module 'tm' must be a group of its parameters, e.g. tm = "
                             "{ param = 1; }; or tm = {}; got a string",
                         errorOf(base + "modules = { tm = \"tm.so\"; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'modules' must be a group, e.g. modules = { sl = {}; tm = "
                             "{ fr_timeout = 5; }; }, got a list",
                         errorOf(base + "modules = ( \"tm\" );\n"));
  }

  void checksMiSocketModeAndHttp() {
    const std::string base(kBase);
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'mi.socket_mode' must be a string of octal digits, got an "
                             "integer (quote it: \"0660\")",
                         errorOf(base + "mi = { socket_mode = 0660; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'mi.socket_mode' must be an octal mode such as \"0660\", "
                             "got '0999'",
                         errorOf(base + "mi = { socket_mode = \"0999\"; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.http' '127.0.0.1': missing port (expected ADDRESS:PORT)",
                         errorOf(base + "mi = { http = \"127.0.0.1\"; };\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'mi.http' 'localhost:8888': 'localhost' is not a numeric "
                             "IP address (host names are not resolved here)",
                         errorOf(base + "mi = { http = \"localhost:8888\"; };\n"));
    // Too long for a unix socket: sipline -c says so (the start would fail at bind()).
    const std::string long_path = "/run/" + std::string(103, 'x');
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: 'mi.socket' '" + long_path +
                             "' is 108 bytes; a unix socket path has at most 107",
                         errorOf(base + "mi = { socket = \"" + long_path + "\"; };\n"));
    const std::string longest = "/run/" + std::string(102, 'x');  // 107 bytes
    Result<Settings> at_limit = load(base + "mi = { socket = \"" + longest + "\"; };\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(at_limit));
    CPPUNIT_ASSERT_EQUAL(longest, at_limit.value().mi.socket);
    Result<Settings> r = load(base + "mi = { http = \"[::1]:8888\"; socket_mode = \"600\"; };\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]:8888"), r.value().mi.http);
  }

  void checksAliases() {
    const std::string base(kBase);
    Result<Settings> r = load(base + "alias = \"Example.COM\";\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), r.value().aliases.at(0));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":5: alias 'a_b.com': 'a_b.com' is not a valid host name",
                         errorOf(base + "alias = [ \"ok.com\",\n \"a_b.com\" ];\n"));
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: alias 'EXAMPLE.com' is listed twice",
                         errorOf(base + "alias = [ \"example.com\", \"EXAMPLE.com\" ];\n"));
  }

  void refusesUnknownUser() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":4: 'user': user 'no_such_sipline_user' does not exist on "
                             "this host",
                         errorOf(std::string(kBase) + "user = \"no_such_sipline_user\";\n"));
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"),
                         messageOf(load(std::string(kBase) + "user = \"0\"; group = \"\";\n")));
  }

  void reportsMissingFile() {
    CPPUNIT_ASSERT_EQUAL(dir_ + "/none.cfg: cannot be read: No such file or directory",
                         messageOf(loadSettings(dir_ + "/none.cfg")));
  }

  void includeResolvesAgainstSettingsDir() {
    write("extra.cfg", "udp_workers = 7;\n");
    Result<Settings> r = load(std::string(kBase) + "@include \"extra.cfg\"\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(7, r.value().udp_workers);
    write("abs/extra.cfg", "tcp_workers = 3;\n");
    r = load(std::string(kBase) + "@include \"extra.cfg\"\n  @include \"" + dir_ +
             "/abs/extra.cfg\"\n");
    CPPUNIT_ASSERT_EQUAL(std::string("<ok>"), messageOf(r));
    CPPUNIT_ASSERT_EQUAL(3, r.value().tcp_workers);
    write("extra.cfg", "\nudp_workers = \"7\";\n");
    CPPUNIT_ASSERT_EQUAL(dir_ + "/extra.cfg:2: 'udp_workers' must be an integer, got a string",
                         errorOf(std::string(kBase) + "@include \"extra.cfg\"\n"));
    // The last element of a list written one per line, in an included file too.
    write("extra.cfg", "alias = [\n  \"example.com\",\n  \"bad host!\"\n];\n");
    CPPUNIT_ASSERT_EQUAL(
        dir_ + "/extra.cfg:3: alias 'bad host!': 'bad host!' is not a valid host name",
        errorOf(std::string(kBase) + "@include \"extra.cfg\"\n"));
  }

  void missingIncludeNamesFile() {
    CPPUNIT_ASSERT_EQUAL(cfg() + ":4: cannot open include file '" + dir_ + "/nope.cfg'",
                         errorOf(std::string(kBase) + "@include \"nope.cfg\"\n"));
  }

  void duplicateTopLevelKeyNamesIt() {
    CPPUNIT_ASSERT_EQUAL(cfg() +
                             ":5: duplicate setting 'udp_workers' (a setting, or a module in "
                             "'modules', may appear only once)",
                         errorOf(std::string(kBase) + "udp_workers = 2;\nudp_workers = 3;\n"));
  }

 private:
  void write(const std::string& rel, const std::string& text) { tmp_->write(rel, text); }
  std::string cfg() const { return tmp_->cfg(); }
  Result<Settings> load(const std::string& text) { return tmp_->load(text); }
  static std::string messageOf(const Result<Settings>& r) {
    return testing::SettingsDir::messageOf(r);
  }

  // With replace_socket the first line of `text` (kBase's socket) is dropped.
  std::string errorOf(const std::string& text, bool replace_socket = false) {
    std::string body = replace_socket ? text.substr(text.find('\n') + 1) : text;
    if (replace_socket) body = "\n" + body;  // keep the line numbers of `text`
    return messageOf(load(body));
  }

  std::unique_ptr<testing::SettingsDir> tmp_;
  std::string dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(SettingsTest);

}  // namespace
}  // namespace sipline
