// The command line and the checks of the gateway and service commands: parseArgs() for
// dispatcher, address, group, alias and callfwd (the forwarding options take a URI with set
// and none with clear), and prepareService()'s refusals of bad SETIDs, URIs, addresses,
// masks, ports, protocols, patterns, groups and aliases.
#include "tools/siplinectl/service_input.h"

#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

namespace sipline::ctl {
namespace {

Invocation parsed(const std::vector<std::string>& args) {
  Result<Invocation> r = parseArgs(args);
  CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
  return r.value();
}

std::string usageError(const std::vector<std::string>& args) {
  Result<Invocation> r = parseArgs(args);
  CPPUNIT_ASSERT_MESSAGE("expected a usage error", !r.isOk());
  CPPUNIT_ASSERT(r.status().code() == Code::kInvalidArgument);
  return r.status().message();
}

ServiceInput prepared(const std::vector<std::string>& args) {
  Result<ServiceInput> r = prepareService(parsed(args));
  CPPUNIT_ASSERT_MESSAGE(r.isOk() ? "" : r.status().message(), r.isOk());
  return r.value();
}

// The message of prepareService()'s refusal.
std::string refused(const std::vector<std::string>& args) {
  Result<ServiceInput> r = prepareService(parsed(args));
  CPPUNIT_ASSERT_MESSAGE("expected a refusal", !r.isOk());
  CPPUNIT_ASSERT(r.status().code() == Code::kInvalidArgument);
  return r.status().message();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

class ServiceInputTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ServiceInputTest);
  CPPUNIT_TEST(parsesEveryCommand);
  CPPUNIT_TEST(optionsBelongToTheirCommands);
  CPPUNIT_TEST(forwardingOptionsAreFlagsOnlyForClear);
  CPPUNIT_TEST(dispatcherInput);
  CPPUNIT_TEST(dispatcherRefusals);
  CPPUNIT_TEST(addressInput);
  CPPUNIT_TEST(addressesHaveOneSpelling);
  CPPUNIT_TEST(addressRefusals);
  CPPUNIT_TEST(groupAliasAndCallfwdInput);
  CPPUNIT_TEST(groupAliasAndCallfwdRefusals);
  CPPUNIT_TEST(helpNamesEveryCommand);
  CPPUNIT_TEST_SUITE_END();

 public:
  void parsesEveryCommand() {
    const std::pair<std::vector<std::string>, Command> cases[] = {
        {{"dispatcher", "add", "1", "sip:gw"}, Command::kDispatcherAdd},
        {{"dispatcher", "rm", "1", "sip:gw"}, Command::kDispatcherRm},
        {{"dispatcher", "list"}, Command::kDispatcherList},
        {{"dispatcher", "list", "3"}, Command::kDispatcherList},
        {{"dispatcher", "reload"}, Command::kDispatcherReload},
        {{"dispatcher", "status"}, Command::kDispatcherStatus},
        {{"dispatcher", "set-state", "inactive", "1", "sip:gw"}, Command::kDispatcherSetState},
        {{"address", "add", "1", "10.0.0.1"}, Command::kAddressAdd},
        {{"address", "rm", "1", "10.0.0.1"}, Command::kAddressRm},
        {{"address", "list"}, Command::kAddressList},
        {{"address", "reload"}, Command::kAddressReload},
        {{"group", "add", "a@b.c", "int"}, Command::kGroupAdd},
        {{"group", "rm", "a@b.c", "int"}, Command::kGroupRm},
        {{"group", "show", "a@b.c"}, Command::kGroupShow},
        {{"group", "list", "int"}, Command::kGroupList},
        {{"alias", "add", "1001", "a@b.c"}, Command::kAliasAdd},
        {{"alias", "rm", "1001"}, Command::kAliasRm},
        {{"alias", "list"}, Command::kAliasList},
        {{"callfwd", "set", "a@b.c", "--busy", "sip:vm@b.c"}, Command::kCallfwdSet},
        {{"callfwd", "clear", "a@b.c"}, Command::kCallfwdClear},
        {{"callfwd", "show", "a@b.c"}, Command::kCallfwdShow},
    };
    for (const auto& [args, command] : cases) {
      const Invocation inv = parsed(args);
      CPPUNIT_ASSERT(inv.command == command);
      CPPUNIT_ASSERT(isServiceCommand(command));
      CPPUNIT_ASSERT(!isManagementCommand(command));
      CPPUNIT_ASSERT_EQUAL(args[0] + " " + args[1], std::string(commandName(command)));
    }
    CPPUNIT_ASSERT(isServiceMiCommand(Command::kDispatcherStatus));
    CPPUNIT_ASSERT(!isServiceMiCommand(Command::kDispatcherList));
    CPPUNIT_ASSERT(!isServiceCommand(Command::kDomainAdd));
    CPPUNIT_ASSERT_EQUAL(std::string("dispatcher add needs SETID URI"),
                         usageError({"dispatcher", "add", "1"}));
    CPPUNIT_ASSERT_EQUAL(
        std::string("dispatcher set-state needs active|inactive|probing SETID URI"),
        usageError({"dispatcher", "set-state", "active", "1"}));
    CPPUNIT_ASSERT_EQUAL(std::string("group list needs GROUP"), usageError({"group", "list"}));
    CPPUNIT_ASSERT_EQUAL(std::string("alias rm: unexpected argument 'x'"),
                         usageError({"alias", "rm", "1001", "x"}));
    CPPUNIT_ASSERT(contains(usageError({"dispatcher", "ad"}), "did you mean 'add'"));
    CPPUNIT_ASSERT(contains(usageError({"dispatchr"}), "did you mean 'dispatcher'"));
  }

  void optionsBelongToTheirCommands() {
    const Invocation inv =
        parsed({"dispatcher", "add", "1", "sip:gw", "--weight", "5", "--priority=2", "--attrs",
                "a=1", "--socket", "udp:127.0.0.1:5060", "--state", "probing", "--description",
                "gw one", "--reload", "--mi-socket", "/run/mi.sock"});
    CPPUNIT_ASSERT_EQUAL(std::string("5"), inv.weight);
    CPPUNIT_ASSERT_EQUAL(std::string("2"), inv.priority);
    CPPUNIT_ASSERT_EQUAL(std::string("a=1"), inv.attrs);
    CPPUNIT_ASSERT_EQUAL(std::string("probing"), inv.state);
    CPPUNIT_ASSERT_EQUAL(std::string("gw one"), inv.description);
    CPPUNIT_ASSERT(inv.reload);
    CPPUNIT_ASSERT_EQUAL(std::string("dispatcher rm takes no option --weight"),
                         usageError({"dispatcher", "rm", "1", "sip:gw", "--weight", "5"}));
    CPPUNIT_ASSERT_EQUAL(std::string("dispatcher list takes no option --reload"),
                         usageError({"dispatcher", "list", "--reload"}));
    CPPUNIT_ASSERT_EQUAL(std::string("address rm takes no option --pattern"),
                         usageError({"address", "rm", "1", "10.0.0.1", "--pattern", "x"}));
    CPPUNIT_ASSERT_EQUAL(std::string("group rm takes no option --force"),
                         usageError({"group", "rm", "a@b.c", "int", "--force"}));
    CPPUNIT_ASSERT_EQUAL(std::string("subscriber show takes no option --port"),
                         usageError({"subscriber", "show", "a@b.c", "--port", "1"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option --weight needs a number"),
                         usageError({"dispatcher", "add", "1", "sip:gw", "--weight"}));
    CPPUNIT_ASSERT(parsed({"domain", "add", "b.c", "--reload"}).reload);
    CPPUNIT_ASSERT(parsed({"alias", "add", "1", "a@b.c", "--force"}).force);
    CPPUNIT_ASSERT_EQUAL(5, parsed({"alias", "list", "--limit", "5"}).limit);
  }

  void forwardingOptionsAreFlagsOnlyForClear() {
    Invocation set =
        parsed({"callfwd", "set", "a@b.c", "--always", "sip:x@b.c", "--noanswer=sip:vm@b.c"});
    CPPUNIT_ASSERT(set.fwd_always_given && set.fwd_noanswer_given && !set.fwd_busy_given);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:x@b.c"), set.fwd_always);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:vm@b.c"), set.fwd_noanswer);
    // Options first: the words still decide.
    set = parsed({"--busy", "sip:y@b.c", "callfwd", "set", "a@b.c"});
    CPPUNIT_ASSERT_EQUAL(std::string("sip:y@b.c"), set.fwd_busy);
    Invocation clear = parsed({"callfwd", "clear", "a@b.c", "--always", "--busy"});
    CPPUNIT_ASSERT(clear.fwd_always_given && clear.fwd_busy_given && !clear.fwd_noanswer_given);
    CPPUNIT_ASSERT(clear.operands == std::vector<std::string>{"a@b.c"});
    clear = parsed({"--noanswer", "callfwd", "clear", "a@b.c"});
    CPPUNIT_ASSERT(clear.fwd_noanswer_given);
    CPPUNIT_ASSERT_EQUAL(std::string("option --always takes no value"),
                         usageError({"callfwd", "clear", "a@b.c", "--always=sip:x@b.c"}));
    CPPUNIT_ASSERT_EQUAL(std::string("option --always needs a URI"),
                         usageError({"callfwd", "set", "a@b.c", "--always"}));
    CPPUNIT_ASSERT_EQUAL(std::string("callfwd show takes no option --busy"),
                         usageError({"callfwd", "show", "a@b.c", "--busy", "sip:x@b.c"}));
  }

  void dispatcherInput() {
    ServiceInput in = prepared({"dispatcher", "add", "7", "sip:10.0.0.1:5060;transport=tcp",
                                "--weight", "50", "--priority", "2", "--state", "inactive",
                                "--socket", "UDP:127.0.0.1", "--attrs", "pstn=1"});
    CPPUNIT_ASSERT_EQUAL(std::int64_t{7}, in.gateway.setid);
    CPPUNIT_ASSERT_EQUAL(std::string("sip:10.0.0.1:5060;transport=tcp"), in.gateway.destination);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{50}, in.gateway.weight);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, in.gateway.priority);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, in.gateway.state);
    CPPUNIT_ASSERT_EQUAL(std::string("udp:127.0.0.1:5060"), in.gateway.socket);  // canonical
    CPPUNIT_ASSERT_EQUAL(std::string("pstn=1"), in.gateway.attrs);
    in = prepared({"dispatcher", "add", "0", "sips:gw.example.com"});
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1}, in.gateway.weight);  // the schema's defaults
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, in.gateway.state);
    CPPUNIT_ASSERT(!prepared({"dispatcher", "list"}).number.has_value());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, *prepared({"dispatcher", "list", "3"}).number);
    in = prepared({"dispatcher", "set-state", "probing", "2", "sip:gw"});
    CPPUNIT_ASSERT_EQUAL(std::string("p"), in.ds_state_letter);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2}, in.gateway.setid);
    CPPUNIT_ASSERT_EQUAL(
        std::string("a"),
        prepared({"dispatcher", "set-state", "active", "2", "sip:gw"}).ds_state_letter);
  }

  void dispatcherRefusals() {
    CPPUNIT_ASSERT_EQUAL(std::string("SETID needs a number from 0 to 2147483647, got 'x'"),
                         refused({"dispatcher", "add", "x", "sip:gw"}));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "2147483648", "sip:gw"}), "SETID"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "rm", "--", "-1", "sip:gw"}), "SETID"));
    CPPUNIT_ASSERT(
        contains(refused({"dispatcher", "add", "1", "gw.example.com"}), "is not a SIP URI"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "1", "sip:"}), "is not a SIP URI"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "1", "tel:+4930123"}), "sip: or sips:"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "1", "sip:" + std::string(190, 'a')}),
                            "longer than 192"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "1", "sip:gw", "--weight", "-1"}),
                            "--weight needs a number"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "1", "sip:gw", "--priority", "1e3"}),
                            "--priority needs a number"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "1", "sip:gw", "--state", "up"}),
                            "--state needs active, inactive or probing"));
    CPPUNIT_ASSERT(
        contains(refused({"dispatcher", "add", "1", "sip:gw", "--socket", "gw:1"}), "--socket"));
    CPPUNIT_ASSERT(contains(
        refused({"dispatcher", "add", "1", "sip:gw", "--description", std::string(65, 'd')}),
        "--description is longer than 64"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "add", "1", "sip:gw", "--attrs", "a\nb"}),
                            "control character"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "set-state", "up", "1", "sip:gw"}),
                            "set-state needs active, inactive or probing"));
    CPPUNIT_ASSERT(contains(refused({"dispatcher", "list", "all"}), "SETID"));
  }

  void addressInput() {
    ServiceInput in = prepared({"address", "add", "3", "10.1.0.0/16", "--port", "5060", "--proto",
                                "UDP", "--pattern", "^sip:[0-9]+@", "--context", "carrier-a"});
    CPPUNIT_ASSERT_EQUAL(std::int64_t{3}, in.address.group);
    CPPUNIT_ASSERT_EQUAL(std::string("10.1.0.0"), in.address.ip);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{16}, in.address.mask);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{5060}, in.address.port);
    CPPUNIT_ASSERT_EQUAL(std::string("udp"), in.address.proto);
    CPPUNIT_ASSERT_EQUAL(std::string("carrier-a"), in.address.context);
    in = prepared({"address", "add", "1", "2001:DB8::1"});
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"), in.address.ip);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{128}, in.address.mask);
    CPPUNIT_ASSERT_EQUAL(std::string("any"), in.address.proto);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{32},
                         prepared({"address", "add", "1", "10.0.0.1"}).address.mask);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0},
                         prepared({"address", "add", "1", "0.0.0.0/0"}).address.mask);
    in = prepared({"address", "rm", "1", "10.0.0.1"});
    CPPUNIT_ASSERT(!in.port && !in.proto);  // rm without them: every port and proto
    in = prepared({"address", "rm", "1", "10.0.0.1", "--port", "0", "--proto", "tls"});
    CPPUNIT_ASSERT(in.port && *in.port == 0 && in.proto && *in.proto == "tls");
  }

  void addressesHaveOneSpelling() {
    // inet_ntop's form: add finds a duplicate and rm finds the row however it is written.
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::1"),
                         prepared({"address", "add", "1", "2001:0DB8:0:0::0001"}).address.ip);
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8::"),
                         prepared({"address", "rm", "1", "2001:db8:0:0:0:0:0:0/32"}).address.ip);
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), prepared({"address", "add", "1", "0::1"}).address.ip);
    // The module (inet_pton) skips a row with leading zeros: refused here.
    CPPUNIT_ASSERT(contains(refused({"address", "add", "1", "010.0.0.1"}), "not an IP address"));
    // The module reads ::ffff:a.b.c.d as IPv4, where /120 is out of range.
    CPPUNIT_ASSERT(
        contains(refused({"address", "add", "1", "::ffff:10.0.0.1/120"}), "IPv4-mapped"));
    CPPUNIT_ASSERT(contains(refused({"address", "add", "1", "[2001:db8::1]/64"}), "no brackets"));
  }

  void addressRefusals() {
    CPPUNIT_ASSERT(contains(refused({"address", "add", "g", "10.0.0.1"}), "GROUP needs a number"));
    for (const char* bad : {"10.0.0.256", "gw.example.com", "[::1]", "10.0.0.1/", "10.0.0.1/33",
                            "::1/129", "10.0.0.1/-1", "10.0.0.1/8/8", ""}) {
      Result<ServiceInput> r = prepareService(parsed({"address", "add", "1", "--", bad}));
      CPPUNIT_ASSERT_MESSAGE(bad, !r.isOk());
    }
    CPPUNIT_ASSERT(contains(refused({"address", "add", "1", "10.0.0.1/33"}), "0 to 32"));
    CPPUNIT_ASSERT(contains(refused({"address", "add", "1", "::1/200"}), "0 to 128"));
    CPPUNIT_ASSERT(contains(refused({"address", "add", "1", "10.0.0.1", "--port", "65536"}),
                            "--port needs a number from 0 to 65535"));
    CPPUNIT_ASSERT(contains(refused({"address", "add", "1", "10.0.0.1", "--proto", "sctp"}),
                            "--proto needs any, udp, tcp, tls, ws or wss"));
    CPPUNIT_ASSERT(contains(refused({"address", "add", "1", "10.0.0.1", "--pattern", "a(b"}),
                            "is not a regular expression"));
    CPPUNIT_ASSERT(
        contains(refused({"address", "add", "1", "10.0.0.1", "--context", std::string(33, 'c')}),
                 "longer than 32"));
    CPPUNIT_ASSERT(contains(refused({"address", "list", "x"}), "GROUP"));
  }

  void groupAliasAndCallfwdInput() {
    ServiceInput in = prepared({"group", "add", "Alice@Example.COM", "int"});
    CPPUNIT_ASSERT_EQUAL(std::string("Alice"), in.aor.user);
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), in.aor.domain);
    CPPUNIT_ASSERT_EQUAL(std::string("int"), in.group);
    in = prepared({"alias", "add", "1001", "alice@example.com"});
    CPPUNIT_ASSERT_EQUAL(std::string("1001"), in.alias_user);
    CPPUNIT_ASSERT_EQUAL(std::string("example.com"), *in.alias_domain);  // the subscriber's
    in = prepared({"alias", "add", "+4930123@PSTN.example.com", "alice@example.com"});
    CPPUNIT_ASSERT_EQUAL(std::string("+4930123"), in.alias_user);
    CPPUNIT_ASSERT_EQUAL(std::string("pstn.example.com"), *in.alias_domain);
    in = prepared({"alias", "rm", "1001"});
    CPPUNIT_ASSERT(!in.alias_domain.has_value());  // any domain, if only one has it
    CPPUNIT_ASSERT(!prepared({"alias", "list"}).list_aor.has_value());
    CPPUNIT_ASSERT_EQUAL(std::string("a@b.c"),
                         prepared({"alias", "list", "a@b.c"}).list_aor->text());
    in = prepared(
        {"callfwd", "set", "a@b.c", "--always", "sip:vm@b.c", "--noanswer", "sip:+4930@b.c"});
    CPPUNIT_ASSERT_EQUAL(std::string("sip:vm@b.c"), *in.forwarding.always);
    CPPUNIT_ASSERT(!in.forwarding.busy.has_value());
    CPPUNIT_ASSERT_EQUAL(std::string("sip:+4930@b.c"), *in.forwarding.noanswer);
    CPPUNIT_ASSERT((prepared({"callfwd", "clear", "a@b.c"}).clear ==
                    std::vector<std::string>{"callfwd", "fwdbusy", "fwdnoanswer"}));
    CPPUNIT_ASSERT((prepared({"callfwd", "clear", "a@b.c", "--busy"}).clear ==
                    std::vector<std::string>{"fwdbusy"}));
  }

  void groupAliasAndCallfwdRefusals() {
    CPPUNIT_ASSERT(contains(refused({"group", "add", "alice", "int"}), "@"));
    CPPUNIT_ASSERT(contains(refused({"group", "add", "a@b.c", "in t"}), "a group name needs"));
    CPPUNIT_ASSERT(contains(refused({"group", "list", std::string(65, 'g')}), "a group name"));
    CPPUNIT_ASSERT(contains(refused({"group", "show", "a@b@c"}), "@"));
    CPPUNIT_ASSERT(!prepareService(parsed({"alias", "add", "a b", "a@b.c"})).isOk());
    CPPUNIT_ASSERT(!prepareService(parsed({"alias", "add", "1001@bad_domain", "a@b.c"})).isOk());
    CPPUNIT_ASSERT(!prepareService(parsed({"alias", "add", "1001", "a"})).isOk());
    CPPUNIT_ASSERT(!prepareService(parsed({"alias", "rm", "@b.c"})).isOk());
    CPPUNIT_ASSERT_EQUAL(
        std::string("callfwd set needs --always URI, --busy URI or --noanswer URI"),
        refused({"callfwd", "set", "a@b.c"}));
    CPPUNIT_ASSERT(contains(refused({"callfwd", "set", "a@b.c", "--busy", "voicemail"}),
                            "--busy: 'voicemail' is not a sip: or sips: URI"));
    // A forwarded call's request-URI needs a host: tel: is refused with the way to write it.
    CPPUNIT_ASSERT(contains(refused({"callfwd", "set", "a@b.c", "--always", "tel:+4930123"}),
                            "write a number as sip:NUMBER@DOMAIN"));
    CPPUNIT_ASSERT(
        contains(refused({"callfwd", "set", "a@b.c", "--always", "sip:" + std::string(130, 'x')}),
                 "longer than 128"));
  }

  void helpNamesEveryCommand() {
    for (const char* group : {"dispatcher", "address", "group", "alias", "callfwd"}) {
      const std::string help = groupHelp(group);
      CPPUNIT_ASSERT_MESSAGE(group, !help.empty());
      CPPUNIT_ASSERT(contains(mainHelp(), std::string("  ") + group + " "));
      CPPUNIT_ASSERT(contains(shortUsage(group), std::string("siplinectl [OPTIONS] ") + group));
    }
    for (const char* part : {"dispatcher set-state", "ds_set_state", "address reload",
                             "callfwd clear", "alias add ALIAS[@DOMAIN] USER@DOMAIN", "--reload",
                             "12 the database was changed but --reload failed"}) {
      CPPUNIT_ASSERT_MESSAGE(part, contains(mainHelp(), part));
    }
    CPPUNIT_ASSERT(contains(groupHelp("domain"), "--reload"));
  }
};
CPPUNIT_TEST_SUITE_REGISTRATION(ServiceInputTest);

}  // namespace sipline::ctl
