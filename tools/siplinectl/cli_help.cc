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
    "Exit status: 0 ok, 1 failure, 2 usage error, 3 cannot reach the database,\n"
    "4 schema mismatch (db check), 5 tables of the schema already exist (db init),\n"
    "6 already exists, 7 not found, 8 unknown domain (subscriber add),\n"
    "9 the domain still has subscribers (domain rm).\n";

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
    "             the domains with their number of subscribers, at most --limit of them\n";

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

std::string domainUsage() {
  return "Usage: siplinectl [OPTIONS] domain add DOMAIN\n"
         "       siplinectl [OPTIONS] domain rm DOMAIN\n"
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
    case Command::kHelp:
      break;
  }
  return "help";
}

const std::string& mainHelp() {
  static const std::string text = std::string(
                                      "Usage: siplinectl [OPTIONS] COMMAND [ARGS]\n"
                                      "The operator's tool for the Sipline SIP server.\n"
                                      "\n"
                                      "Commands:\n") +
                                  kDbCommandsHelp + kSubscriberCommandsHelp + kDomainCommandsHelp +
                                  "  help [db|subscriber|domain]\n"
                                  "             this help, or the help of one group of commands\n"
                                  "\n" +
                                  kOptionsHelp + kProvisionOptionsHelp + "\n" + kNamesHelp + "\n" +
                                  kDbUrlHelp + kExitHelp + "See siplinectl(8).\n";
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
           kDomainCommandsHelp + "\n" + kOptionsHelp + kProvisionOptionsHelp + "\n" + kNamesHelp +
           "\n" + kDbUrlHelp + kExitHelp;
  }
  return "";
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
  return "Usage: siplinectl [OPTIONS] COMMAND [ARGS]\n"
         "Commands: db init|check, subscriber add|passwd|rm|show|list, domain add|rm|list,\n"
         "help [GROUP]. 'siplinectl --help' explains them and the options.\n";
}

std::string versionText() {
  return std::string("siplinectl ") + SIPLINE_VERSION + " (" + SIPLINE_GIT_REV +
         ")\nbuild: " + SIPLINE_BUILD_ID + "\n";
}

}  // namespace sipline::ctl
