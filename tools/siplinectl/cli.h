// siplinectl's command line: the commands, the options, the help texts and the exit codes.
// parseArgs() turns argv into an Invocation or a usage error (a message for stderr, with a
// "did you mean" hint where a name is close to a known one); it does no I/O. Options may come
// before or after the command words; `--` ends the options.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace sipline::ctl {

// The exit status of every command (documented in siplinectl(8)).
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,         // settings unreadable, no DB URL, an SQL error, ...
  kExitUsage = 2,           // bad command line
  kExitUnreachable = 3,     // cannot connect (to the database, or to the server's MI)
  kExitSchemaMismatch = 4,  // db check found a problem
  kExitSchemaExists = 5,    // db init: tables of the schema already exist; nothing changed
  kExitAlreadyExists = 6,   // subscriber add / domain add: it exists already
  kExitNotFound = 7,        // no such subscriber (passwd, rm, show) or domain (rm)
  kExitUnknownDomain = 8,   // subscriber add: the domain is not in table domain
  kExitDomainInUse = 9,     // domain rm: subscribers of the domain exist (--force removes them)
  // kExitNotFound (7) also for alias/group add of a subscriber that does not exist (--force).
  // The management commands (mgmt_run.h):
  kExitRefused = 10,       // the server refused the command (a JSON-RPC error: unknown method,
                           // bad params, the command failed, e.g. a script that does not load)
  kExitAccessDenied = 11,  // HTTP authentication failed (401/403), or no permission on the
                           // MI socket
  // kExitNotFound (7) also for an unknown AOR, contact or statistic.
  kExitReloadFailed = 12,  // --reload: the database change is made, but the server's cache was
                           // not reloaded (no server, refused, no such module)
};

inline constexpr char kDefaultSettingsFile[] = "/etc/sipline/sipline.cfg";
inline constexpr char kDbUrlEnv[] = "SIPLINE_DB_URL";
inline constexpr char kMiUrlEnv[] = "SIPLINE_MI_URL";
inline constexpr char kMiPasswordEnv[] = "SIPLINE_MI_PASSWORD";

enum class Command {
  kHelp,
  kVersion,
  kDbInit,
  kDbCheck,
  kSubscriberAdd,
  kSubscriberPasswd,
  kSubscriberRm,
  kSubscriberShow,
  kSubscriberList,
  kDomainAdd,
  kDomainRm,
  kDomainList,
  // The management commands: the running server over its MI.
  kPs,
  kUptime,
  kStats,
  kStatsReset,
  kShm,
  kUlShow,
  kUlRm,
  kUlAdd,
  kUlFlush,
  kOnline,
  kReload,
  kLogLevel,
  kTmStats,
  kMi,
  kTrace,  // trace CALL-ID: the flight recorder's messages of a call
  // The gateway and service commands (services_run.h): tables dispatcher, address, grp,
  // dbaliases, usr_preferences; reload, status and set-state over the MI.
  kDispatcherAdd,
  kDispatcherRm,
  kDispatcherList,
  kDispatcherReload,
  kDispatcherStatus,
  kDispatcherSetState,
  kAddressAdd,
  kAddressRm,
  kAddressList,
  kAddressReload,
  kGroupAdd,
  kGroupRm,
  kGroupShow,
  kGroupList,
  kAliasAdd,
  kAliasRm,
  kAliasList,
  kCallfwdSet,
  kCallfwdClear,
  kCallfwdShow,
};

// The commands that talk to the server's MI (mgmt_run.h).
bool isManagementCommand(Command c);

// "db init", "subscriber add", "ps", ... ("help", "version" for those).
const char* commandName(Command c);

inline constexpr int kDefaultListLimit = 100;
inline constexpr int kMaxListLimit = 1000000;
inline constexpr char kDefaultUlTable[] = "location";
inline constexpr int kDefaultUlExpires = 3600;
inline constexpr std::int64_t kMaxUlExpires = 315360000;  // usrloc's ul_add limit (10 years)

struct Invocation {
  Command command = Command::kHelp;
  std::string help_topic;  // kHelp: "" (everything) or a command group ("db", "ul", "ps")
  std::vector<std::string> operands;  // after the command words: USER@DOMAIN, PASSWORD, DOMAIN
  std::string settings_file = kDefaultSettingsFile;
  bool settings_given = false;  // -f was used
  std::string db_url;           // --db-url; "" = not given
  bool json = false;
  int verbosity = 0;  // -v: driver logs at info, -vv: debug
  // Options of the subscriber and domain commands; parseArgs() refuses one given to a command
  // that does not take it.
  bool password_stdin = false;  // --stdin: the password is the first line of standard input
  bool store_password = false;  // --store-password: keep the clear password too
  std::string email;            // --email ADDRESS
  bool email_given = false;
  bool force = false;             // --force: subscriber add without a domain row; domain rm
                                  // together with the domain's subscribers
  bool show_hashes = false;       // --show-hashes (subscriber show)
  int limit = kDefaultListLimit;  // --limit N (the list commands); 0 = no limit
  std::string mi_socket;          // --mi-socket PATH; "" = the settings' mi.socket
  // Options of the management commands.
  std::string mi_url;     // --url http://[USER[:PASSWORD]@]HOST:PORT[/mi]; "" = $SIPLINE_MI_URL
  std::string http_user;  // --http-user USER (the password: $SIPLINE_MI_PASSWORD)
  std::string ul_table = kDefaultUlTable;    // --table NAME (ul, online)
  std::int64_t expires = kDefaultUlExpires;  // --expires SECONDS (ul add)
  std::string q;                             // --q Q (ul add); "" = none
  std::int64_t flags = -1;                   // --flags N (ul add); -1 = none
  std::int64_t pid = 0;                      // --pid PID (log-level); 0 = every process
  bool ask_server = false;  // the word `version` (not -V): the server's version too
  std::string pcap_file;    // --pcap FILE (trace): write a pcap file instead of the ladder
  bool trace_db = false;    // --db (trace): table sip_trace instead of the flight recorder
  std::string trace_table = "sip_trace";  // --table NAME with trace --db (a plain SQL name)
  // Options of the gateway and service commands, as given (checked by service_input.h).
  std::string weight, priority;            // --weight N, --priority N (dispatcher add)
  std::string attrs, socket, description;  // --attrs, --socket, --description (dispatcher add)
  std::string state;                       // --state active|inactive|probing (dispatcher add)
  std::string port, proto;                 // --port N, --proto P (address add, rm); "" = none
  std::string pattern, context;            // --pattern RE, --context S (address add)
  std::string fwd_always, fwd_busy, fwd_noanswer;  // --always URI ... (callfwd set)
  bool fwd_always_given = false, fwd_busy_given = false, fwd_noanswer_given = false;
  bool reload = false;  // --reload: call the module's reload over the MI after the change
};

// args: argv[1..]. kInvalidArgument carries the message for the user (without "siplinectl: ")
// and usageFor() names the help text to show after it.
Result<Invocation> parseArgs(const std::vector<std::string>& args);

// TEXT as a number from lo to hi (decimal digits only); kInvalidArgument "OPT needs a number
// from LO to HI, got 'TEXT'" otherwise.
Result<std::int64_t> parseNumber(const std::string& opt, const std::string& text, std::int64_t lo,
                                 std::int64_t hi);

// The full help (`siplinectl --help`, `siplinectl help`).
const std::string& mainHelp();
// Help of a command group ("db", "subscriber", "domain"), "" if there is no such group.
std::string groupHelp(std::string_view group);
// The short usage of a group or of siplinectl (any other word), for usage errors.
std::string shortUsage(std::string_view group);
// The short usage to print after a usage error in the given argv: the group's if argv names
// one.
std::string usageFor(const std::vector<std::string>& args);

// "siplinectl 0.1.0 (rev)" and the build id.
std::string versionText();

}  // namespace sipline::ctl
