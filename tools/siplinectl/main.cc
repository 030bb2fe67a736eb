// siplinectl: the operator's command-line tool. The PostgreSQL driver is linked in (no module
// directory needed); the MI is reached over its unix socket or HTTP; everything else is in
// run.cc.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "core/db/db.h"
#include "modules/db_postgres/pg_driver.h"
#include "tools/siplinectl/cli.h"
#include "tools/siplinectl/http_client.h"
#include "tools/siplinectl/mi_client.h"
#include "tools/siplinectl/run.h"

int main(int argc, char** argv) {
  sipline::db::registerDriver(&sipline::pg::pgDriver());
  std::vector<std::string> args(argv + 1, argv + argc);
  sipline::ctl::RunContext ctx{std::cout,
                               std::cerr,
                               std::getenv(sipline::ctl::kDbUrlEnv),
                               [](const std::string& url, const sipline::db::Options& options) {
                                 return sipline::db::openUrl(url, options);
                               },
                               true,
                               &std::cin,
                               [](const std::string& target) {
                                 return sipline::ctl::isHttpUrl(target)
                                            ? sipline::ctl::connectMiHttp(target)
                                            : sipline::ctl::connectMiSocket(target);
                               },
                               std::getenv(sipline::ctl::kMiUrlEnv),
                               std::getenv(sipline::ctl::kMiPasswordEnv)};
  const int code = sipline::ctl::runCtl(args, ctx);
  std::cout.flush();
  return code;
}
