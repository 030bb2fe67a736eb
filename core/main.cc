// sipline: the SIP server. Parses the command line and hands over to runServer().
#include <getopt.h>

#include <cstdio>
#include <cstring>

#include "core/server/server.h"

namespace {

const char kUsage[] =
    "Usage: sipline [-f FILE] [-c] [-d] [-V] [-h]\n"
    "SIP proxy, registrar and redirect server.\n"
    "\n"
    "  -f FILE   settings file (default /etc/sipline/sipline.cfg)\n"
    "  -c        check the settings, the modules and the routing script, then exit\n"
    "            (0 when valid; errors name FILE:LINE or FILE:LINE:COL)\n"
    "  -d        run as a daemon (needs pid_file in the settings); default: foreground\n"
    "  -V        print the version and exit\n"
    "  -h        print this help and exit\n"
    "\n"
    "Signals: SIGTERM or SIGINT stop the server gracefully.\n"
    "See sipline(8) and sipline.cfg(5).\n";

}  // namespace

int main(int argc, char** argv) {
  sipline::ServerOptions options;
  int opt;
  opterr = 0;
  while ((opt = getopt(argc, argv, ":f:cdVh")) != -1) {
    switch (opt) {
      case 'f':
        options.config = optarg;
        break;
      case 'c':
        options.check_only = true;
        break;
      case 'd':
        options.daemonize = true;
        break;
      case 'V':
        std::printf("sipline %s (%s)\nbuild: %s\n", SIPLINE_VERSION, SIPLINE_GIT_REV,
                    SIPLINE_BUILD_ID);
        return 0;
      case 'h':
        std::fputs(kUsage, stdout);
        return 0;
      case ':':
        std::fprintf(stderr, "sipline: option -%c needs an argument\n%s", optopt, kUsage);
        return 2;
      default:
        std::fprintf(stderr, "sipline: unknown option -%c\n%s", optopt, kUsage);
        return 2;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "sipline: unexpected argument '%s'\n%s", argv[optind], kUsage);
    return 2;
  }
  return sipline::runServer(options);
}
