// sipline: the SIP server. Parses the command line and hands over to runServer(), to
// runSimulation() for --simulate, or to printModuleDoc() for --module-doc.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "core/module/module_doc_cli.h"
#include "core/server/server.h"
#include "core/server/simulate.h"

namespace {

const char kUsage[] =
    "Usage: sipline [-f FILE] [-c] [-d] [-V] [-h]\n"
    "       sipline [-f FILE] --simulate MSG.sip [--source IP:PORT] [--route NAME]\n"
    "       sipline [-f FILE] --module-doc [DIR]\n"
    "SIP proxy, registrar and redirect server.\n"
    "\n"
    "  -f FILE   settings file (default /etc/sipline/sipline.cfg)\n"
    "  -c        check the settings, the modules and the routing script, then exit\n"
    "            (0 when valid; errors name FILE:LINE or FILE:LINE:COL)\n"
    "  -d        run as a daemon (needs pid_file in the settings); default: foreground\n"
    "  -V        print the version and exit\n"
    "  -h, --help  print this help and exit\n"
    "\n"
    "Route simulator (nothing is sent; no socket is bound):\n"
    "  --simulate MSG.sip  run the routing script on the SIP message in the file and print\n"
    "            the path through the script, the outcome (reply, relay, drop or\n"
    "            no decision) and every message as it would leave. A request runs the\n"
    "            main route, a reply the onreply_route. Files with LF line ends get CRLF\n"
    "            and a corrected Content-Length; CRLF files are used byte for byte.\n"
    "  --source IP:PORT  where the message comes from ($si, $sp; default: its top Via)\n"
    "  --route NAME      run route[NAME] (onreply_route[NAME] for a reply) instead\n"
    "  Exit status: 0 when the simulation ran, 1 when the configuration does not load,\n"
    "  2 for bad input (options, an unreadable or unparsable message, an unknown route).\n"
    "\n"
    "Module manual (no module is initialised; no socket is bound):\n"
    "  --module-doc [DIR]  print sipline-modules(7), the manual page of the modules in DIR\n"
    "            (every *.so, in name order) made from what they declare. Default DIR:\n"
    "            the mpath of FILE with -f, else the installed module directory.\n"
    "  Exit status: 0 when printed, 1 when FILE or a module does not load,\n"
    "  2 for bad options or an unreadable DIR.\n"
    "\n"
    "Signals: SIGTERM or SIGINT stop the server gracefully.\n"
    "See sipline(8) and sipline.cfg(5).\n";

enum LongOnly : int { kSimulate = 1000, kSource, kRoute, kModuleDoc };

int usageError(const std::string& message) {
  std::fprintf(stderr, "sipline: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  static const option kLong[] = {
      {"simulate", required_argument, nullptr, kSimulate},
      {"source", required_argument, nullptr, kSource},
      {"route", required_argument, nullptr, kRoute},
      {"module-doc", no_argument, nullptr, kModuleDoc},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  sipline::ServerOptions options;
  sipline::SimulateOptions sim;
  bool simulate = false;
  bool module_doc = false;
  bool config_given = false;  // -f: --module-doc then reads mpath from it
  int opt;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":f:cdVh", kLong, nullptr)) != -1) {
    switch (opt) {
      case 'f':
        options.config = optarg;
        config_given = true;
        break;
      case 'c':
        options.check_only = true;
        break;
      case 'd':
        options.daemonize = true;
        break;
      case kSimulate:
        simulate = true;
        sim.message_file = optarg;
        break;
      case kSource:
        sim.source = optarg;
        break;
      case kRoute:
        sim.route = optarg;
        break;
      case kModuleDoc:
        module_doc = true;
        break;
      case 'V':
        std::printf("sipline %s (%s)\nbuild: %s\n", SIPLINE_VERSION, SIPLINE_GIT_REV,
                    SIPLINE_BUILD_ID);
        return 0;
      case 'h':
        std::fputs(kUsage, stdout);
        return 0;
      case ':':
        return usageError(optopt > 0 && optopt < 256
                              ? std::string("option -") + static_cast<char>(optopt) +
                                    " needs an argument"
                              : std::string("option ") + argv[optind - 1] + " needs an argument");
      default:
        return usageError(optopt != 0 && optopt < 256
                              ? std::string("unknown option -") + static_cast<char>(optopt)
                              : std::string("unknown option ") + argv[optind - 1]);
    }
  }
  if (module_doc) {
    if (simulate || options.check_only || options.daemonize) {
      return usageError("--module-doc cannot be combined with --simulate, -c or -d");
    }
    if (argc - optind > 1) return usageError("--module-doc takes one directory");
    return sipline::printModuleDoc(
        {optind < argc ? argv[optind] : "", config_given ? options.config : ""});
  }
  if (optind < argc) {
    return usageError(std::string("unexpected argument '") + argv[optind] + "'");
  }
  if (!simulate && (!sim.source.empty() || !sim.route.empty())) {
    return usageError("--source and --route go with --simulate MSG.sip");
  }
  if (simulate) {
    if (options.check_only || options.daemonize) {
      return usageError("--simulate cannot be combined with -c or -d");
    }
    if (sim.message_file.empty()) return usageError("--simulate needs a message file");
    sim.config = options.config;
    return sipline::runSimulation(sim);
  }
  return sipline::runServer(options);
}
