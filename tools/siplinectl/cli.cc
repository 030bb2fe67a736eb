#include "tools/siplinectl/cli.h"

#include "core/base/strings.h"

namespace sipline::ctl {

namespace {

// Options of the subscriber and domain commands, as bits of SubCommand::options.
enum OptionBit : unsigned {
  kOptStdin = 1u << 0,
  kOptStorePassword = 1u << 1,
  kOptEmail = 1u << 2,
  kOptForce = 1u << 3,
  kOptShowHashes = 1u << 4,
  kOptLimit = 1u << 5,
  kOptMiSocket = 1u << 6,
  kOptUrl = 1u << 7,
  kOptHttpUser = 1u << 8,
  kOptTable = 1u << 9,
  kOptExpires = 1u << 10,
  kOptQ = 1u << 11,
  kOptFlags = 1u << 12,
  kOptPid = 1u << 13,
  kOptPcap = 1u << 14,
  kOptTraceDb = 1u << 15,
  kOptWeight = 1u << 16,
  kOptPriority = 1u << 17,
  kOptAttrs = 1u << 18,
  kOptSocket = 1u << 19,
  kOptState = 1u << 20,
  kOptDescription = 1u << 21,
  kOptPort = 1u << 22,
  kOptProto = 1u << 23,
  kOptPattern = 1u << 24,
  kOptContext = 1u << 25,
  kOptAlways = 1u << 26,
  kOptBusy = 1u << 27,
  kOptNoAnswer = 1u << 28,
  kOptReload = 1u << 29,
  kOptMi = kOptMiSocket | kOptUrl | kOptHttpUser,  // where the server's MI is
};

constexpr std::size_t kMaxMiArgs = 64;

// A group's entry with name "" is the group word alone as a command ("ps", "stats NAME").
struct SubCommand {
  const char* group;
  const char* name;
  Command command;
  std::size_t min_operands, max_operands;
  const char* operands;  // for messages: "USER@DOMAIN [PASSWORD]"
  unsigned options;
};

// clang-format off
const SubCommand kSubCommands[] = {
    {"db", "init", Command::kDbInit, 0, 0, "", 0},
    {"db", "check", Command::kDbCheck, 0, 0, "", 0},
    {"subscriber", "add", Command::kSubscriberAdd, 1, 2, "USER@DOMAIN [PASSWORD]",
     kOptStdin | kOptStorePassword | kOptEmail | kOptForce | kOptMiSocket},
    {"subscriber", "passwd", Command::kSubscriberPasswd, 1, 2, "USER@DOMAIN [PASSWORD]",
     kOptStdin | kOptStorePassword | kOptMiSocket},
    {"subscriber", "rm", Command::kSubscriberRm, 1, 1, "USER@DOMAIN", kOptMiSocket},
    {"subscriber", "show", Command::kSubscriberShow, 1, 1, "USER@DOMAIN", kOptShowHashes},
    {"subscriber", "list", Command::kSubscriberList, 0, 1, "[DOMAIN]", kOptLimit},
    {"domain", "add", Command::kDomainAdd, 1, 1, "DOMAIN", kOptReload | kOptMi},
    {"domain", "rm", Command::kDomainRm, 1, 1, "DOMAIN", kOptForce | kOptReload | kOptMi},
    {"domain", "list", Command::kDomainList, 0, 0, "", kOptLimit},
    {"version", "", Command::kVersion, 0, 0, "", kOptMi},
    {"ps", "", Command::kPs, 0, 0, "", kOptMi},
    {"uptime", "", Command::kUptime, 0, 0, "", kOptMi},
    {"stats", "", Command::kStats, 0, kMaxMiArgs, "[NAME|GROUP:]...", kOptMi},
    {"stats", "reset", Command::kStatsReset, 0, kMaxMiArgs, "[NAME|GROUP:]...", kOptMi},
    {"shm", "", Command::kShm, 0, 0, "", kOptMi},
    {"ul", "show", Command::kUlShow, 0, 1, "[AOR]", kOptMi | kOptTable},
    {"ul", "rm", Command::kUlRm, 1, 2, "AOR [CONTACT]", kOptMi | kOptTable},
    {"ul", "add", Command::kUlAdd, 2, 2, "AOR CONTACT",
     kOptMi | kOptTable | kOptExpires | kOptQ | kOptFlags},
    {"ul", "flush", Command::kUlFlush, 0, 0, "", kOptMi},
    {"online", "", Command::kOnline, 0, 0, "", kOptMi | kOptTable},
    {"reload", "", Command::kReload, 0, 0, "", kOptMi},
    {"log-level", "", Command::kLogLevel, 0, 1, "[LEVEL]", kOptMi | kOptPid},
    {"tm", "stats", Command::kTmStats, 0, 0, "", kOptMi},
    {"mi", "", Command::kMi, 1, kMaxMiArgs, "METHOD [ARG|NAME=VALUE]...", kOptMi},
    {"trace", "", Command::kTrace, 1, 1, "CALL-ID", kOptMi | kOptPcap | kOptTraceDb | kOptTable},
    {"dispatcher", "add", Command::kDispatcherAdd, 2, 2, "SETID URI",
     kOptWeight | kOptPriority | kOptAttrs | kOptSocket | kOptState | kOptDescription |
     kOptReload | kOptMi},
    {"dispatcher", "rm", Command::kDispatcherRm, 2, 2, "SETID URI", kOptReload | kOptMi},
    {"dispatcher", "list", Command::kDispatcherList, 0, 1, "[SETID]", kOptLimit},
    {"dispatcher", "reload", Command::kDispatcherReload, 0, 0, "", kOptMi},
    {"dispatcher", "status", Command::kDispatcherStatus, 0, 0, "", kOptMi},
    {"dispatcher", "set-state", Command::kDispatcherSetState, 3, 3,
     "active|inactive|probing SETID URI", kOptMi},
    {"address", "add", Command::kAddressAdd, 2, 2, "GROUP IP[/MASK]",
     kOptPort | kOptProto | kOptPattern | kOptContext | kOptReload | kOptMi},
    {"address", "rm", Command::kAddressRm, 2, 2, "GROUP IP[/MASK]",
     kOptPort | kOptProto | kOptReload | kOptMi},
    {"address", "list", Command::kAddressList, 0, 1, "[GROUP]", kOptLimit},
    {"address", "reload", Command::kAddressReload, 0, 0, "", kOptMi},
    {"group", "add", Command::kGroupAdd, 2, 2, "USER@DOMAIN GROUP", kOptForce},
    {"group", "rm", Command::kGroupRm, 2, 2, "USER@DOMAIN GROUP", 0},
    {"group", "show", Command::kGroupShow, 1, 1, "USER@DOMAIN", 0},
    {"group", "list", Command::kGroupList, 1, 1, "GROUP", kOptLimit},
    {"alias", "add", Command::kAliasAdd, 2, 2, "ALIAS[@DOMAIN] USER@DOMAIN", kOptForce},
    {"alias", "rm", Command::kAliasRm, 1, 1, "ALIAS[@DOMAIN]", 0},
    {"alias", "list", Command::kAliasList, 0, 1, "[USER@DOMAIN]", kOptLimit},
    {"callfwd", "set", Command::kCallfwdSet, 1, 1, "USER@DOMAIN",
     kOptAlways | kOptBusy | kOptNoAnswer | kOptForce},
    {"callfwd", "clear", Command::kCallfwdClear, 1, 1, "USER@DOMAIN",
     kOptAlways | kOptBusy | kOptNoAnswer},
    {"callfwd", "show", Command::kCallfwdShow, 1, 1, "USER@DOMAIN", 0},
};
// clang-format on

struct OptionName {
  unsigned bit;
  const char* name;
};
const OptionName kOptionNames[] = {
    {kOptStdin, "--stdin"},
    {kOptStorePassword, "--store-password"},
    {kOptEmail, "--email"},
    {kOptForce, "--force"},
    {kOptShowHashes, "--show-hashes"},
    {kOptLimit, "--limit"},
    {kOptMiSocket, "--mi-socket"},
    {kOptUrl, "--url"},
    {kOptHttpUser, "--http-user"},
    {kOptTable, "--table"},
    {kOptExpires, "--expires"},
    {kOptQ, "--q"},
    {kOptFlags, "--flags"},
    {kOptPid, "--pid"},
    {kOptPcap, "--pcap"},
    {kOptTraceDb, "--db"},
    {kOptWeight, "--weight"},
    {kOptPriority, "--priority"},
    {kOptAttrs, "--attrs"},
    {kOptSocket, "--socket"},
    {kOptState, "--state"},
    {kOptDescription, "--description"},
    {kOptPort, "--port"},
    {kOptProto, "--proto"},
    {kOptPattern, "--pattern"},
    {kOptContext, "--context"},
    {kOptAlways, "--always"},
    {kOptBusy, "--busy"},
    {kOptNoAnswer, "--noanswer"},
    {kOptReload, "--reload"},
};

// Candidates for "did you mean" (function statics: nothing runs before main()).
const std::vector<std::string_view>& groups() {
  static const std::vector<std::string_view> names = {
      "db",    "subscriber", "domain",  "version", "ps",        "uptime", "stats",
      "shm",   "ul",         "online",  "reload",  "log-level", "tm",     "mi",
      "trace", "dispatcher", "address", "group",   "alias",     "callfwd"};
  return names;
}
const std::vector<std::string_view>& topWords() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> words = groups();
    words.push_back("help");
    return words;
  }();
  return names;
}
const std::vector<std::string_view>& longOptions() {
  static const std::vector<std::string_view> names = {"--db-url",
                                                      "--json",
                                                      "--verbose",
                                                      "--help",
                                                      "--version",
                                                      "--stdin",
                                                      "--store-password",
                                                      "--email",
                                                      "--force",
                                                      "--show-hashes",
                                                      "--limit",
                                                      "--mi-socket",
                                                      "--url",
                                                      "--http-user",
                                                      "--table",
                                                      "--expires",
                                                      "--q",
                                                      "--flags",
                                                      "--pid",
                                                      "--pcap",
                                                      "--db",
                                                      "--weight",
                                                      "--priority",
                                                      "--attrs",
                                                      "--socket",
                                                      "--state",
                                                      "--description",
                                                      "--port",
                                                      "--proto",
                                                      "--pattern",
                                                      "--context",
                                                      "--always",
                                                      "--busy",
                                                      "--noanswer",
                                                      "--reload"};
  return names;
}

Status usageError(std::string message) { return Status::invalidArgument(std::move(message)); }

bool isFwdOption(std::string_view opt) {
  return opt == "--always" || opt == "--busy" || opt == "--noanswer";
}

// `fwd_flags`: --always, --busy and --noanswer take a URI with `callfwd set` but are plain
// flags with `callfwd clear` (fwdOptionsAreFlags()).
bool takesValue(std::string_view opt, bool fwd_flags = false) {
  return opt == "-f" || opt == "--db-url" || opt == "--email" || opt == "--limit" ||
         opt == "--mi-socket" || opt == "--url" || opt == "--http-user" || opt == "--table" ||
         opt == "--expires" || opt == "--q" || opt == "--flags" || opt == "--pid" ||
         opt == "--pcap" || opt == "--weight" || opt == "--priority" || opt == "--attrs" ||
         opt == "--socket" || opt == "--state" || opt == "--description" || opt == "--port" ||
         opt == "--proto" || opt == "--pattern" || opt == "--context" ||
         (!fwd_flags && isFwdOption(opt));
}

// True when the first two words of the line are "callfwd clear" (the forwarding options are
// then flags). The values of the other options are skipped; a forwarding option counts as a
// flag here, so `--always URI callfwd set` sees URI as its first word and stays a value.
bool fwdOptionsAreFlags(const std::vector<std::string>& args) {
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < args.size() && words.size() < 2; ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      for (++i; i < args.size() && words.size() < 2; ++i) words.push_back(args[i]);
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      words.push_back(a);
      continue;
    }
    if (a.find('=') == std::string::npos && takesValue(a, true)) ++i;
  }
  return words.size() == 2 && words[0] == "callfwd" && words[1] == "clear";
}

std::string valueName(std::string_view opt) {
  if (opt == "-f") return "a FILE";
  if (opt == "--db-url" || opt == "--url") return "a URL";
  if (opt == "--email") return "an ADDRESS";
  if (opt == "--limit" || opt == "--expires" || opt == "--flags" || opt == "--pid" || opt == "--q")
    return "a number";
  if (opt == "--http-user") return "a USER";
  if (opt == "--table") return "a NAME";
  if (opt == "--weight" || opt == "--priority" || opt == "--port") return "a number";
  if (opt == "--state") return "a STATE (active, inactive or probing)";
  if (opt == "--proto") return "a PROTO (any, udp, tcp, tls, ws or wss)";
  if (opt == "--pattern") return "a regular expression";
  if (opt == "--socket") return "a SOCKET (proto:ip:port)";
  if (isFwdOption(opt)) return "a URI";
  if (opt == "--attrs" || opt == "--description" || opt == "--context") return "a TEXT";
  return "a PATH";
}

// A decimal integer in [lo, hi], else a usage error naming the option.
// q of RFC 3261: 0 .. 1 with at most three decimals ("0.5", "1", "0.125").
bool validQ(const std::string& q) {
  if (q.empty() || q.size() > 5 || (q[0] != '0' && q[0] != '1')) return false;
  if (q.size() == 1) return true;
  if (q[1] != '.' || q.size() == 2) return false;
  if (q.find_first_not_of("0123456789", 2) != std::string::npos) return false;
  return q[0] == '0' || q.find_first_not_of('0', 2) == std::string::npos;
}

Result<int> parseLimit(const std::string& text) {
  if (text.empty() || text.size() > 7 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return usageError("--limit needs a number from 0 (all) to " + std::to_string(kMaxListLimit) +
                      ", got '" + text + "'");
  }
  const int n = std::stoi(text);
  if (n > kMaxListLimit) {
    return usageError("--limit needs a number from 0 (all) to " + std::to_string(kMaxListLimit) +
                      ", got '" + text + "'");
  }
  return n;
}

// Stores an option of the gateway and service commands (a forwarding option's value "" with
// callfwd clear); false for any other option.
bool serviceOption(const std::string& name, const std::string& value, Invocation& inv,
                   unsigned& given) {
  struct Target {
    const char* name;
    std::string Invocation::*field;
    unsigned bit;
  };
  static const Target kTargets[] = {
      {"--weight", &Invocation::weight, kOptWeight},
      {"--priority", &Invocation::priority, kOptPriority},
      {"--attrs", &Invocation::attrs, kOptAttrs},
      {"--socket", &Invocation::socket, kOptSocket},
      {"--state", &Invocation::state, kOptState},
      {"--description", &Invocation::description, kOptDescription},
      {"--port", &Invocation::port, kOptPort},
      {"--proto", &Invocation::proto, kOptProto},
      {"--pattern", &Invocation::pattern, kOptPattern},
      {"--context", &Invocation::context, kOptContext},
      {"--always", &Invocation::fwd_always, kOptAlways},
      {"--busy", &Invocation::fwd_busy, kOptBusy},
      {"--noanswer", &Invocation::fwd_noanswer, kOptNoAnswer},
  };
  for (const Target& t : kTargets) {
    if (name != t.name) continue;
    inv.*t.field = value;
    given |= t.bit;
    if (t.bit == kOptAlways) inv.fwd_always_given = true;
    if (t.bit == kOptBusy) inv.fwd_busy_given = true;
    if (t.bit == kOptNoAnswer) inv.fwd_noanswer_given = true;
    return true;
  }
  return false;
}

std::string commandList(std::string_view group) {
  std::string out;
  for (const SubCommand& sc : kSubCommands) {
    if (group != sc.group || *sc.name == '\0') continue;
    out += std::string(out.empty() ? "" : ", ") + sc.name;
  }
  const std::size_t last = out.rfind(", ");
  if (last != std::string::npos) out.replace(last, 2, " or ");
  return out;
}

}  // namespace

Result<std::int64_t> parseNumber(const std::string& opt, const std::string& text, std::int64_t lo,
                                 std::int64_t hi) {
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  if (text.empty() || text.size() > 12 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return usageError(opt + " needs a number from " + range + ", got '" + text + "'");
  }
  const std::int64_t n = std::stoll(text);
  if (n < lo || n > hi) {
    return usageError(opt + " needs a number from " + range + ", got '" + text + "'");
  }
  return n;
}

std::string usageFor(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    if (takesValue(a)) {
      ++i;
      continue;
    }
    if (a.size() > 1 && a[0] == '-') continue;
    if (a == "help" && i + 1 < args.size()) return shortUsage(args[i + 1]);
    return shortUsage(a);
  }
  return shortUsage("");
}

Result<Invocation> parseArgs(const std::vector<std::string>& args) {
  Invocation inv;
  std::vector<std::string> words;
  bool help = false, version = false, options_done = false;
  unsigned given = 0;  // OptionBits seen
  const bool fwd_flags = fwdOptionsAreFlags(args);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      words.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    // --name=value for long options that take one.
    std::string name = a, value;
    bool inline_value = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      name = a.substr(0, a.find('='));
      value = a.substr(a.find('=') + 1);
      inline_value = true;
    } else if (a.size() > 2 && a[0] == '-' && a[1] == 'f') {
      name = "-f";  // -fFILE
      value = a.substr(2);
      inline_value = true;
    }
    if (takesValue(name, fwd_flags)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) return usageError("option " + name + " needs " + valueName(name));
        value = args[++i];
      }
      if (value.empty()) return usageError("option " + name + " needs a non-empty value");
      if (name == "-f") {
        inv.settings_file = value;
        inv.settings_given = true;
      } else if (name == "--db-url") {
        inv.db_url = value;
      } else if (name == "--email") {
        inv.email = value;
        inv.email_given = true;
        given |= kOptEmail;
      } else if (name == "--limit") {
        Result<int> limit = parseLimit(value);
        if (!limit.isOk()) return limit.status();
        inv.limit = limit.value();
        given |= kOptLimit;
      } else if (name == "--mi-socket") {
        inv.mi_socket = value;
        given |= kOptMiSocket;
      } else if (name == "--url") {
        inv.mi_url = value;
        given |= kOptUrl;
      } else if (name == "--http-user") {
        inv.http_user = value;
        given |= kOptHttpUser;
      } else if (name == "--table") {
        inv.ul_table = value;
        given |= kOptTable;
      } else if (name == "--expires") {
        Result<std::int64_t> n = parseNumber(name, value, 1, kMaxUlExpires);
        if (!n.isOk()) return n.status();
        inv.expires = n.value();
        given |= kOptExpires;
      } else if (name == "--q") {
        if (!validQ(value)) {
          return usageError("--q needs a number from 0 to 1 (at most 3 decimals), got '" + value +
                            "'");
        }
        inv.q = value;
        given |= kOptQ;
      } else if (name == "--pcap") {
        inv.pcap_file = value;
        given |= kOptPcap;
      } else if (serviceOption(name, value, inv, given)) {
        // a gateway or service option, stored (service_input.h checks it)
      } else if (name == "--flags") {
        Result<std::int64_t> n = parseNumber(name, value, 0, 4294967295LL);
        if (!n.isOk()) return n.status();
        inv.flags = n.value();
        given |= kOptFlags;
      } else {
        Result<std::int64_t> n = parseNumber(name, value, 1, 2147483647LL);
        if (!n.isOk()) return n.status();
        inv.pid = n.value();
        given |= kOptPid;
      }
      continue;
    }
    if (inline_value) return usageError("option " + name + " takes no value");
    if (a == "-h" || a == "--help") {
      help = true;
    } else if (a == "-V" || a == "--version") {
      version = true;
    } else if (a == "--json") {
      inv.json = true;
    } else if (a == "-v" || a == "--verbose") {
      ++inv.verbosity;
    } else if (a == "-vv") {
      inv.verbosity += 2;
    } else if (a == "--stdin") {
      inv.password_stdin = true;
      given |= kOptStdin;
    } else if (a == "--store-password") {
      inv.store_password = true;
      given |= kOptStorePassword;
    } else if (a == "--force") {
      inv.force = true;
      given |= kOptForce;
    } else if (a == "--show-hashes") {
      inv.show_hashes = true;
      given |= kOptShowHashes;
    } else if (a == "--db") {
      inv.trace_db = true;
      given |= kOptTraceDb;
    } else if (a == "--reload") {
      inv.reload = true;
      given |= kOptReload;
    } else if (isFwdOption(a)) {  // callfwd clear
      serviceOption(a, "", inv, given);
    } else if (a.rfind("--", 0) == 0) {
      return usageError("unknown option " + a + didYouMean(a, longOptions()));
    } else {
      return usageError("unknown option " + a);
    }
  }

  if (version) {
    inv.command = Command::kVersion;
    return inv;
  }
  if (words.empty()) {
    if (help) return inv;  // kHelp, main help
    return usageError("no command given");
  }
  const std::string& first = words[0];
  if (first == "help") {
    if (words.size() > 2) return usageError("help takes at most one topic");
    if (words.size() == 2) {
      if (groupHelp(words[1]).empty()) {
        return usageError("no help topic '" + words[1] + "'" + didYouMean(words[1], groups()));
      }
      inv.help_topic = words[1];
    }
    return inv;
  }
  if (groupHelp(first).empty()) {
    return usageError("unknown command '" + first + "'" + didYouMean(first, topWords()));
  }
  inv.help_topic = first;
  std::vector<std::string_view> names;
  const SubCommand* found = nullptr;
  const SubCommand* bare = nullptr;  // the group word alone as a command
  for (const SubCommand& sc : kSubCommands) {
    if (first != sc.group) continue;
    if (*sc.name == '\0') {
      bare = &sc;
      continue;
    }
    names.push_back(sc.name);
    if (words.size() > 1 && words[1] == sc.name) found = &sc;
  }
  std::size_t operands_from = 2;
  if (found == nullptr && bare != nullptr) {
    found = bare;
    operands_from = 1;
  }
  if (found == nullptr && words.size() == 1) {
    if (help) return inv;
    return usageError(first + " needs a command: " + commandList(first));
  }
  if (found == nullptr) {
    return usageError("unknown " + first + " command '" + words[1] + "'" +
                      didYouMean(words[1], names));
  }
  if (help) return inv;  // kHelp of the group, whatever else is on the line
  const std::string what = operands_from == 1 ? first : first + " " + words[1];
  inv.operands.assign(words.begin() + static_cast<std::ptrdiff_t>(operands_from), words.end());
  if (inv.operands.size() > found->max_operands) {
    return usageError(what + ": unexpected argument '" + inv.operands[found->max_operands] + "'");
  }
  if (inv.operands.size() < found->min_operands) {
    return usageError(what + " needs " + found->operands);
  }
  for (const OptionName& o : kOptionNames) {
    if ((given & o.bit) != 0 && (found->options & o.bit) == 0) {
      return usageError(what + " takes no option " + o.name);
    }
  }
  if (inv.password_stdin && inv.operands.size() > 1) {
    return usageError(what + ": give the password as an argument or with --stdin, not both");
  }
  if (found->command == Command::kTrace) {
    // The flight recorder reads an empty Call-ID as "every call"; here it is a typo or an
    // unset shell variable, and the answer would be the whole recorder.
    if (inv.operands[0].empty()) {
      return usageError("trace: the CALL-ID is empty; give the Call-ID of one call");
    }
    if ((given & kOptPcap) != 0 && inv.pcap_file.empty()) {
      return usageError("trace: --pcap needs a FILE ('-' for standard output)");
    }
    if ((given & kOptPcap) != 0 && inv.json) {
      return usageError("trace: --pcap and --json are two outputs; give one");
    }
    if ((given & kOptTable) != 0 && !inv.trace_db) {
      return usageError("trace: --table names a table of --db");
    }
    if ((given & kOptTable) != 0) {
      inv.trace_table = inv.ul_table;
      const bool plain = !inv.trace_table.empty() &&
                         inv.trace_table.find_first_not_of(
                             "abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos &&
                         !(inv.trace_table[0] >= '0' && inv.trace_table[0] <= '9');
      if (!plain) {
        return usageError("trace: --table needs a plain table name (a-z, 0-9, _), got '" +
                          inv.trace_table + "'");
      }
    }
  }
  if (found->command == Command::kLogLevel && inv.pid != 0 && inv.operands.empty()) {
    return usageError(
        "log-level: --pid needs a LEVEL to set (without one, every process's "
        "level is shown)");
  }
  inv.ask_server = found->command == Command::kVersion;
  inv.command = found->command;
  return inv;
}

bool isManagementCommand(Command c) {
  switch (c) {
    case Command::kPs:
    case Command::kUptime:
    case Command::kStats:
    case Command::kStatsReset:
    case Command::kShm:
    case Command::kUlShow:
    case Command::kUlRm:
    case Command::kUlAdd:
    case Command::kUlFlush:
    case Command::kOnline:
    case Command::kReload:
    case Command::kLogLevel:
    case Command::kTmStats:
    case Command::kMi:
    case Command::kTrace:
      return true;
    default:
      return false;
  }
}

}  // namespace sipline::ctl
