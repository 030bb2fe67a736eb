// The help texts of siplinectl (declared in cli.h). The main help is built from the same
// pieces as each group's help, so `siplinectl --help` and `siplinectl help subscriber` cannot
// disagree.
#include "tools/siplinectl/cli.h"

namespace sipline::ctl {

namespace {

const char kOptionsHelp[] =
    "Options (anywhere on the line):\n"
    "  -f FILE        settings file of the server (default /etc/sipline/sipline.cfg)\n"
    "  --db-url URL   the database, postgres://user:pass@host:port/dbname\n"
    "  --json         print one JSON object on standard output instead of text\n"
    "  -v, --verbose  show the database driver's log (-vv: debug)\n"
    "  -h, --help     print help and exit\n"
    "  -V, --version  print the version and the schema's table versions, then exit\n";

const char kDbUrlHelp[] =
    "The database is --db-url URL, else $SIPLINE_DB_URL, else the db_url parameter of the\n"
    "first module group in the settings file that sets one (usrloc, auth_db, ...).\n";

const char kExitHelp[] =
    "Exit status: 0 ok, 1 failure, 2 usage error, 3 cannot reach the database (or the\n"
    "server), 4 schema mismatch (db check), 5 tables of the schema already exist (db init),\n"
    "6 already exists, 7 not found (also an AOR, contact, statistic or pid of the server),\n"
    "8 unknown domain (subscriber add), 9 the domain still has subscribers (domain rm),\n"
    "10 the server refused the command, 11 access denied (HTTP authentication failed, or no\n"
    "permission on the MI socket), 12 the database was changed but --reload failed (the\n"
    "change is kept; reload later). alias add, group add and callfwd set exit 7 when the\n"
    "subscriber does not exist (--force adds the row anyway).\n";

const char kMgmtCommandsHelp[] =
    "  version    this siplinectl's version and schema, then the running server's version\n"
    "             when its MI answers (-V prints only siplinectl's and asks no server)\n"
    "  ps         the server's processes: id, pid, role, index, load, messages handled\n"
    "  uptime     when the server started and how long it has been running\n"
    "  stats [NAME|GROUP:]...\n"
    "             statistics and their values (all of them without a NAME; a GROUP such as\n"
    "             core: or tm: names all of its statistics); exit 7 for an unknown one\n"
    "  stats reset [NAME|GROUP:]...\n"
    "             set counters to 0 (all without a NAME); gauges keep their value\n"
    "  shm        shared memory: size, used, free and the most ever used\n"
    "  ul show [AOR]\n"
    "             the contacts of AOR (exit 7 if it has none), or of every AOR\n"
    "  ul rm AOR [CONTACT]\n"
    "             remove AOR with all of its contacts, or only CONTACT; exit 7 if none\n"
    "  ul add AOR CONTACT\n"
    "             add a contact to AOR (or refresh it), for --expires seconds\n"
    "  ul flush   write pending location changes to the database now\n"
    "  online     the AORs that have at least one contact, one a line\n"
    "  reload     reload the routing script; a script that does not load is refused with\n"
    "             its file:line:col (exit 10) and the running script stays\n"
    "  log-level [LEVEL]\n"
    "             the log level of every process; with LEVEL (alert, crit, error, warning,\n"
    "             notice, info, debug) set it for every process, or with --pid for one\n"
    "  tm stats   transactions: in use, created, replies, retransmissions, timeouts\n"
    "  mi METHOD [ARG|NAME=VALUE]...\n"
    "             call any MI command and print its result as JSON (see below)\n"
    "  trace CALL-ID\n"
    "             the messages of a call the server's flight recorder holds (--db: those\n"
    "             table sip_trace holds), as a ladder diagram (a column per address, an\n"
    "             arrow per message); with --pcap FILE a pcap file Wireshark opens instead;\n"
    "             exit 7 when there are none\n";

const char kMgmtOptionsHelp[] =
    "Options of the management commands:\n"
    "  --mi-socket PATH   the server's MI unix socket (default: mi.socket of the settings file,\n"
    "                     else its mi.http endpoint with mi.http_user and mi.http_password)\n"
    "  --url URL          the MI over HTTP instead: http://[USER[:PASSWORD]@]HOST:PORT[/PATH]\n"
    "                     (HOST: an IP address or localhost; PATH defaults to /mi; default\n"
    "                     URL: $SIPLINE_MI_URL)\n"
    "  --http-user USER   user for HTTP basic authentication; the password comes from\n"
    "                     $SIPLINE_MI_PASSWORD. A password in the URL is visible to every user\n"
    "                     of the host (ps) and stays in the shell's history: prefer the variable\n"
    "  --table NAME       (ul, online) the usrloc table (default location); (trace --db) the\n"
    "                     siptrace table (default sip_trace)\n"
    "  --expires N        (ul add) seconds until the contact expires, 1 to 315360000 (default\n"
    "                     3600)\n"
    "  --q Q              (ul add) the contact's q, 0 to 1\n"
    "  --flags N          (ul add) usrloc flags (a bit mask)\n"
    "  --pid PID          (log-level) set the level of this server process only\n"
    "  --pcap FILE        (trace) write the messages to FILE as a pcap file ('-': stdout)\n"
    "  --db               (trace) read table sip_trace (siptrace) instead of the recorder;\n"
    "                     --table NAME reads another table of siptrace's\n"
    "--json prints the server's result object as it came (online: {\"table\", \"aors\"}), for\n"
    "scripts; the text output is for people and may change. mi always prints JSON.\n";

const char kMiArgsHelp[] =
    "mi arguments: NAME=VALUE passes a param by name (NAME: lower-case letters, digits and\n"
    "'_'), anything else by position; a call takes one kind, not both. A value takes the type\n"
    "the server's help gives its param: a string param the text (command=1001 is \"1001\"), an\n"
    "int param a number, a bool param true/false. For other params, and when the server does\n"
    "not describe the method, a value that reads as JSON (a number, true, false, null,\n"
    "\"a string\", [a list], {an object}) is sent as that, anything else (and a number of\n"
    "more than 15 digits) as a string. Examples (the quotes are for the shell):\n"
    "  siplinectl mi ul_show_contact location alice@example.com\n"
    "  siplinectl mi log_level level=debug pid=4242\n"
    "  siplinectl mi get_statistics 'statistics=[\"core:\", \"tm:\"]'\n"
    "Put -- before a value that starts with '-'. 'mi which' lists the server's commands,\n"
    "'mi help command=NAME' explains one.\n";

const char kDbCommandsHelp[] =
    "  db init    create every table of the schema, with its indexes and version row, in\n"
    "             one transaction; refuses (exit 5) when any of the tables exists\n"
    "  db check   compare the database with the schema of this siplinectl: each table's\n"
    "             version row, columns, types and keys; one line per table and problem\n";

const char kSubscriberCommandsHelp[] =
    "  subscriber add USER@DOMAIN [PASSWORD]\n"
    "             create a subscriber of a domain of table domain (else exit 8; --force\n"
    "             skips that check); stores the HA1 hashes (MD5, SHA-256, SHA-512-256,\n"
    "             realm = DOMAIN), not the password. Without PASSWORD or --stdin a strong\n"
    "             password is generated and printed once. Exit 6 if the subscriber exists\n"
    "  subscriber passwd USER@DOMAIN [PASSWORD]\n"
    "             set a new password (same sources as add); exit 7 if there is no such\n"
    "             subscriber. Then asks the running server to forget cached credentials\n"
    "  subscriber rm USER@DOMAIN\n"
    "             remove a subscriber (exit 7 if none), then the same cache flush\n"
    "  subscriber show USER@DOMAIN\n"
    "             the subscriber's row; hashes only with --show-hashes, never a password\n"
    "  subscriber list [DOMAIN]\n"
    "             subscribers by domain and user, at most --limit of them\n";

// The options of the subscriber and domain commands, in every help that names them.
const char kProvisionOptionsHelp[] =
    "Options of the subscriber and domain commands:\n"
    "  --stdin            (subscriber add, passwd) read the password from the first line of\n"
    "                     standard input, so that it stays out of the shell's history\n"
    "  --store-password   (subscriber add, passwd) keep the clear password too (auth_db's\n"
    "                     calculate_ha1 mode needs it); otherwise the password column is empty\n"
    "  --email ADDRESS    (subscriber add) the subscriber's e-mail address\n"
    "  --force            (subscriber add) accept a domain that is not in table domain;\n"
    "                     (domain rm) remove the domain's subscribers with it\n"
    "  --show-hashes      (subscriber show) print the HA1 hashes (for digest authentication\n"
    "                     they are as good as the password)\n"
    "  --limit N          (subscriber list, domain list) print at most N rows (default 100;\n"
    "                     0 = all)\n"
    "  --mi-socket PATH   (subscriber add, passwd, rm, domain rm) the server's MI socket for\n"
    "                     the cache flush (default: mi.socket of the settings file); no server or\n"
    "                     no auth_db there is a note, not an error: the cache expires anyway\n";

const char kDomainCommandsHelp[] =
    "  domain add DOMAIN\n"
    "             add a domain the server serves (lower-cased); exit 6 if it exists\n"
    "  domain rm DOMAIN\n"
    "             remove a domain; refuses (exit 9) while it has subscribers unless --force,\n"
    "             which removes them too (and flushes their cached credentials)\n"
    "  domain list\n"
    "             the domains with their number of subscribers, at most --limit of them\n"
    "             (domain add and rm take --reload: the server's domain module re-reads the\n"
    "             table at once, MI domain_reload; see the gateway and service options)\n";

const char kServiceCommandsHelp[] =
    "  dispatcher add SETID URI\n"
    "             add a destination (gateway, media server) to set SETID; --weight N,\n"
    "             --priority N, --attrs TEXT, --socket PROTO:IP:PORT, --state\n"
    "             active|inactive|probing, --description TEXT; exit 6 if it is in the set\n"
    "  dispatcher rm SETID URI\n"
    "             remove a destination from a set (exit 7 if it is not there)\n"
    "  dispatcher list [SETID]\n"
    "             the destinations of table dispatcher (of one set)\n"
    "  dispatcher reload\n"
    "             the server re-reads table dispatcher (MI ds_reload)\n"
    "  dispatcher status\n"
    "             the server's sets and the live state of each destination (MI ds_list)\n"
    "  dispatcher set-state active|inactive|probing SETID URI\n"
    "             change a destination's state in the running server (MI ds_set_state);\n"
    "             the table is not changed\n"
    "  address add GROUP IP[/MASK]\n"
    "             trust a source address or network in group GROUP (table address);\n"
    "             --port N (0 = any), --proto any|udp|tcp|tls|ws|wss, --pattern REGEX (the\n"
    "             From URI must match too), --context TEXT; exit 6 if the same row exists\n"
    "  address rm GROUP IP[/MASK]\n"
    "             remove the rows of that address (only those of --port, --proto if given)\n"
    "  address list [GROUP]\n"
    "             the rows of table address (of one group)\n"
    "  address reload\n"
    "             the server re-reads table address (MI address_reload)\n"
    "  group add USER@DOMAIN GROUP\n"
    "             put a subscriber into a group (table grp: local, ld, int, ...); exit 6 if\n"
    "             it is in it, 7 if there is no such subscriber (--force adds it anyway)\n"
    "  group rm USER@DOMAIN GROUP\n"
    "             take a subscriber out of a group (exit 7 if it is not in it)\n"
    "  group show USER@DOMAIN\n"
    "             the groups of a subscriber\n"
    "  group list GROUP\n"
    "             the members of a group\n"
    "  alias add ALIAS[@DOMAIN] USER@DOMAIN\n"
    "             ALIAS (a number, a short name) stands for the subscriber (table dbaliases;\n"
    "             DOMAIN defaults to the subscriber's); exit 6 if the alias exists or is a\n"
    "             subscriber's address, 7 if there is no such subscriber (--force adds it\n"
    "             anyway)\n"
    "  alias rm ALIAS[@DOMAIN]\n"
    "             remove an alias (without DOMAIN: the only alias of that name)\n"
    "  alias list [USER@DOMAIN]\n"
    "             every alias, or those of one subscriber\n"
    "  callfwd set USER@DOMAIN [--always URI] [--busy URI] [--noanswer URI]\n"
    "             call forwarding of a subscriber (table usr_preferences, attributes\n"
    "             callfwd, fwdbusy, fwdnoanswer); each given one replaces the old value;\n"
    "             exit 7 if there is no such subscriber (--force sets it anyway)\n"
    "  callfwd clear USER@DOMAIN [--always] [--busy] [--noanswer]\n"
    "             remove the given forwardings (none named: all three)\n"
    "  callfwd show USER@DOMAIN\n"
    "             the subscriber's forwardings\n";

const char kServiceOptionsHelp[] =
    "Options of the gateway and service commands:\n"
    "  --reload           (dispatcher, address, domain add and rm) reload the module's table in\n"
    "                     the running server right after the change (without it: a hint). If\n"
    "                     the server cannot be reached the change stays and the exit is 12\n"
    "                     (bad or no MI options: nothing is changed)\n"
    "  --mi-socket PATH, --url URL, --http-user USER\n"
    "                     where the server's MI is (reload, status, set-state, --reload), as\n"
    "                     for the management commands\n"
    "  --force            (group add, alias add, callfwd set) accept a subscriber that is not\n"
    "                     in table subscriber\n"
    "  --limit N          (the list commands) print at most N rows (default 100; 0 = all)\n"
    "URI: a sip: or sips: URI. SETID and GROUP of address: numbers from 0. A group of\n"
    "table grp: 1 to 64 letters, digits, '_', '-' or '.'.\n";

const char kNamesHelp[] =
    "USER: 1 to 64 characters of a SIP URI's user part without escapes: letters, digits and\n"
    "-_.!~*'()&=+$,;?/. DOMAIN: a host name (letters, digits, '-' and dots) or an IPv4\n"
    "address, at most 64 characters, without port; stored and used as realm in lower case.\n"
    "PASSWORD: 1 to 64 printable characters.\n";

std::string dbUsage() {
  return "Usage: siplinectl [OPTIONS] db init\n"
         "       siplinectl [OPTIONS] db check\n";
}

std::string subscriberUsage() {
  return "Usage: siplinectl [OPTIONS] subscriber add USER@DOMAIN [PASSWORD]\n"
         "       siplinectl [OPTIONS] subscriber passwd USER@DOMAIN [PASSWORD]\n"
         "       siplinectl [OPTIONS] subscriber rm USER@DOMAIN\n"
         "       siplinectl [OPTIONS] subscriber show USER@DOMAIN\n"
         "       siplinectl [OPTIONS] subscriber list [DOMAIN]\n";
}

std::string mgmtUsage(std::string_view word) {
  static const struct {
    const char* word;
    const char* usage;
  } kUsages[] = {
      {"version", "version"},
      {"ps", "ps"},
      {"uptime", "uptime"},
      {"stats", "stats [NAME|GROUP:]...\n       siplinectl [OPTIONS] stats reset [NAME|GROUP:]..."},
      {"shm", "shm"},
      {"ul",
       "ul show [AOR]\n       siplinectl [OPTIONS] ul rm AOR [CONTACT]\n"
       "       siplinectl [OPTIONS] ul add AOR CONTACT [--expires N] [--q Q] [--flags N]\n"
       "       siplinectl [OPTIONS] ul flush"},
      {"online", "online"},
      {"reload", "reload"},
      {"log-level", "log-level [LEVEL] [--pid PID]"},
      {"tm", "tm stats"},
      {"mi", "mi METHOD [ARG|NAME=VALUE]..."},
      {"trace", "trace CALL-ID [--db [--table NAME]] [--pcap FILE]"},
  };
  for (const auto& u : kUsages) {
    if (word == u.word) return std::string("Usage: siplinectl [OPTIONS] ") + u.usage + "\n";
  }
  return "";
}

// The lines of kMgmtCommandsHelp that describe `word` (from "  word" to the next command).
std::string mgmtCommandHelp(std::string_view word) {
  const std::string text = kMgmtCommandsHelp;
  std::string out;
  bool in = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    const std::string line = text.substr(pos, eol - pos + 1);
    pos = eol + 1;
    if (line.rfind("    ", 0) != 0) {  // a command line: "  word ..."
      const std::string name = line.substr(2, line.find_first_of(" \n", 2) - 2);
      in = name == word;
    }
    if (in) out += line;
  }
  return out;
}

struct ServiceUsage {
  const char* group;
  const char* lines;  // one usage per line, without "siplinectl [OPTIONS] "; a line starting
                      // with two spaces continues the one before
  const char* about;
};
const ServiceUsage kServiceUsages[] = {
    {"dispatcher",
     "dispatcher add SETID URI [--weight N] [--priority N] [--attrs TEXT]\n"
     "  [--socket SOCKET] [--state STATE] [--description TEXT] [--reload]\n"
     "dispatcher rm SETID URI [--reload]\n"
     "dispatcher list [SETID]\n"
     "dispatcher reload\n"
     "dispatcher status\n"
     "dispatcher set-state active|inactive|probing SETID URI\n",
     "Gateways and media servers of the dispatcher module: table dispatcher, and the\n"
     "running server's sets over its MI.\n"},
    {"address",
     "address add GROUP IP[/MASK] [--port N] [--proto PROTO]\n"
     "  [--pattern REGEX] [--context TEXT] [--reload]\n"
     "address rm GROUP IP[/MASK] [--port N] [--proto PROTO] [--reload]\n"
     "address list [GROUP]\n"
     "address reload\n",
     "Trusted source addresses of the permissions module: table address.\n"},
    {"group",
     "group add USER@DOMAIN GROUP [--force]\n"
     "group rm USER@DOMAIN GROUP\n"
     "group show USER@DOMAIN\n"
     "group list GROUP\n",
     "Group membership of subscribers (the group module's db_is_user_in): table grp.\n"},
    {"alias",
     "alias add ALIAS[@DOMAIN] USER@DOMAIN [--force]\n"
     "alias rm ALIAS[@DOMAIN]\n"
     "alias list [USER@DOMAIN]\n",
     "Aliases of subscribers (alias_db_lookup): table dbaliases.\n"},
    {"callfwd",
     "callfwd set USER@DOMAIN [--always URI] [--busy URI] [--noanswer URI]\n"
     "  [--force]\n"
     "callfwd clear USER@DOMAIN [--always] [--busy] [--noanswer]\n"
     "callfwd show USER@DOMAIN\n",
     "Call forwarding of subscribers (avp_db_load): table usr_preferences.\n"},
};

const ServiceUsage* serviceUsage(std::string_view group) {
  for (const ServiceUsage& u : kServiceUsages) {
    if (group == u.group) return &u;
  }
  return nullptr;
}

std::string serviceUsageText(const ServiceUsage& u) {
  std::string out;
  const std::string lines = u.lines;
  std::size_t pos = 0;
  bool first = true;
  while (pos < lines.size()) {
    const std::size_t eol = lines.find('\n', pos);
    const std::string line = lines.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.rfind("  ", 0) == 0) {  // a continuation, under the command's operands
      out += std::string(30, ' ') + line.substr(2) + "\n";
      continue;
    }
    out += std::string(first ? "Usage: " : "       ") + "siplinectl [OPTIONS] " + line + "\n";
    first = false;
  }
  return out;
}

// The lines of kServiceCommandsHelp about `group` ("  group ..." up to the next group).
std::string serviceCommandHelp(std::string_view group) {
  const std::string text = kServiceCommandsHelp;
  std::string out;
  bool in = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    const std::string line = text.substr(pos, eol - pos + 1);
    pos = eol + 1;
    if (line.rfind("    ", 0) != 0) {
      in = line.substr(2, line.find_first_of(" \n", 2) - 2) == group;
    }
    if (in) out += line;
  }
  return out;
}

std::string domainUsage() {
  return "Usage: siplinectl [OPTIONS] domain add DOMAIN [--reload]\n"
         "       siplinectl [OPTIONS] domain rm DOMAIN [--force] [--reload]\n"
         "       siplinectl [OPTIONS] domain list\n";
}

}  // namespace

const char* commandName(Command c) {
  switch (c) {
    case Command::kDbInit:
      return "db init";
    case Command::kDbCheck:
      return "db check";
    case Command::kSubscriberAdd:
      return "subscriber add";
    case Command::kSubscriberPasswd:
      return "subscriber passwd";
    case Command::kSubscriberRm:
      return "subscriber rm";
    case Command::kSubscriberShow:
      return "subscriber show";
    case Command::kSubscriberList:
      return "subscriber list";
    case Command::kDomainAdd:
      return "domain add";
    case Command::kDomainRm:
      return "domain rm";
    case Command::kDomainList:
      return "domain list";
    case Command::kVersion:
      return "version";
    case Command::kPs:
      return "ps";
    case Command::kUptime:
      return "uptime";
    case Command::kStats:
      return "stats";
    case Command::kStatsReset:
      return "stats reset";
    case Command::kShm:
      return "shm";
    case Command::kUlShow:
      return "ul show";
    case Command::kUlRm:
      return "ul rm";
    case Command::kUlAdd:
      return "ul add";
    case Command::kUlFlush:
      return "ul flush";
    case Command::kOnline:
      return "online";
    case Command::kReload:
      return "reload";
    case Command::kLogLevel:
      return "log-level";
    case Command::kTmStats:
      return "tm stats";
    case Command::kMi:
      return "mi";
    case Command::kTrace:
      return "trace";
    case Command::kDispatcherAdd:
      return "dispatcher add";
    case Command::kDispatcherRm:
      return "dispatcher rm";
    case Command::kDispatcherList:
      return "dispatcher list";
    case Command::kDispatcherReload:
      return "dispatcher reload";
    case Command::kDispatcherStatus:
      return "dispatcher status";
    case Command::kDispatcherSetState:
      return "dispatcher set-state";
    case Command::kAddressAdd:
      return "address add";
    case Command::kAddressRm:
      return "address rm";
    case Command::kAddressList:
      return "address list";
    case Command::kAddressReload:
      return "address reload";
    case Command::kGroupAdd:
      return "group add";
    case Command::kGroupRm:
      return "group rm";
    case Command::kGroupShow:
      return "group show";
    case Command::kGroupList:
      return "group list";
    case Command::kAliasAdd:
      return "alias add";
    case Command::kAliasRm:
      return "alias rm";
    case Command::kAliasList:
      return "alias list";
    case Command::kCallfwdSet:
      return "callfwd set";
    case Command::kCallfwdClear:
      return "callfwd clear";
    case Command::kCallfwdShow:
      return "callfwd show";
    case Command::kHelp:
      break;
  }
  return "help";
}

const std::string& mainHelp() {
  static const std::string text =
      std::string(
          "Usage: siplinectl [OPTIONS] COMMAND [ARGS]\n"
          "The operator's tool for the Sipline SIP server.\n"
          "\n"
          "Commands:\n") +
      kDbCommandsHelp + kSubscriberCommandsHelp + kDomainCommandsHelp +
      "Gateways and services (tables of the modules; reload, status over the MI):\n" +
      kServiceCommandsHelp + "Commands for the running server (over its MI):\n" +
      kMgmtCommandsHelp +
      "  help [COMMAND]\n"
      "             this help, or the help of one command or group\n"
      "\n" +
      kOptionsHelp + kProvisionOptionsHelp + kServiceOptionsHelp + kMgmtOptionsHelp + "\n" +
      kMiArgsHelp + "\n" + kNamesHelp + "\n" + kDbUrlHelp + kExitHelp + "See siplinectl(8).\n";
  return text;
}

std::string groupHelp(std::string_view group) {
  if (group == "db") {
    return dbUsage() +
           "The PostgreSQL schema: the tables the server's modules use (scripts/sql/ in the\n"
           "source tree; built into siplinectl).\n"
           "\n" +
           kDbCommandsHelp + "\n" + kOptionsHelp + "\n" + kDbUrlHelp + kExitHelp;
  }
  if (group == "subscriber") {
    return subscriberUsage() +
           "The users who may register and call: rows of table subscriber, read by auth_db.\n"
           "\n" +
           kSubscriberCommandsHelp + "\n" + kOptionsHelp + kProvisionOptionsHelp + "\n" +
           kNamesHelp + "\n" + kDbUrlHelp + kExitHelp;
  }
  if (group == "domain") {
    return domainUsage() +
           "The SIP domains the server serves: rows of table domain, which subscriber add\n"
           "checks.\n"
           "\n" +
           kDomainCommandsHelp + "\n" + kOptionsHelp + kProvisionOptionsHelp + kServiceOptionsHelp +
           "\n" + kNamesHelp + "\n" + kDbUrlHelp + kExitHelp;
  }
  if (const ServiceUsage* u = serviceUsage(group)) {
    return serviceUsageText(*u) + u->about + "\n" + serviceCommandHelp(group) + "\n" +
           kOptionsHelp + kServiceOptionsHelp + "\n" + kNamesHelp + "\n" + kDbUrlHelp + kExitHelp;
  }
  const std::string usage = mgmtUsage(group);
  if (usage.empty()) return "";
  std::string text = usage + "The running server, over its MI socket (or HTTP with --url).\n\n";
  text += mgmtCommandHelp(group);  // "ul" takes every "ul ..." line
  text += std::string("\n") + kOptionsHelp + kMgmtOptionsHelp;
  if (group == "mi") text += std::string("\n") + kMiArgsHelp;
  return text + "\n" + kExitHelp;
}

std::string shortUsage(std::string_view group) {
  if (group == "db")
    return dbUsage() + "'siplinectl db --help' explains the commands and the options.\n";
  if (group == "subscriber") {
    return subscriberUsage() +
           "'siplinectl subscriber --help' explains the commands and the options.\n";
  }
  if (group == "domain") {
    return domainUsage() + "'siplinectl domain --help' explains the commands and the options.\n";
  }
  if (const ServiceUsage* u = serviceUsage(group)) {
    return serviceUsageText(*u) + "'siplinectl " + std::string(group) +
           " --help' explains the commands and the options.\n";
  }
  const std::string usage = mgmtUsage(group);
  if (!usage.empty()) {
    return usage + "'siplinectl " + std::string(group) +
           " --help' explains the command and the options.\n";
  }
  return "Usage: siplinectl [OPTIONS] COMMAND [ARGS]\n"
         "Commands: db init|check, subscriber add|passwd|rm|show|list, domain add|rm|list,\n"
         "version, ps, uptime, stats [reset], shm, ul show|rm|add|flush, online, reload,\n"
         "log-level, tm stats, mi METHOD, dispatcher, address, group, alias, callfwd,\n"
         "help [COMMAND]. 'siplinectl --help' explains them and the options.\n";
}

std::string versionText() {
  return std::string("siplinectl ") + SIPLINE_VERSION + " (" + SIPLINE_GIT_REV +
         ")\nbuild: " + SIPLINE_BUILD_ID + "\n";
}

}  // namespace sipline::ctl
