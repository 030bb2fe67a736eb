// db_postgres: the PostgreSQL driver of the DB API (postgres:// and postgresql:// URLs), over
// libpq. Glue only: it registers the driver for consumers (usrloc, auth_db, acc, ...) and
// declares the statistics. It has no parameters: the URL and the timeouts are each
// consumer's (its db_url parameter and db::Options). The connection code is pg_connection.cc.
#include "core/db/db.h"
#include "core/module/module.h"
#include "modules/db_postgres/pg_driver.h"

namespace sipline {
namespace {

class DbPostgresModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("the PostgreSQL driver behind every postgres:// URL");
    spec.description(
        "Puts libpq under the core DB API that modules such as usrloc and auth_db use for "
        "their db_url parameters; they never call libpq themselves. Load it whenever a "
        "module's db_url is a postgres:// (or postgresql://) URL: without it, that module "
        "refuses to start and says which module to load.\n\n"
        "A URL reads postgres://[user[:password]@][host][:port][/database]; query parameters "
        "are refused, and the password never shows in logs, errors or MI output. The module "
        "has no parameters: each consumer sets its own URL and timeouts.");
    pg::PgDriver& driver = pg::pgDriver();
    db::registerDriver(&driver);
    spec.stat("queries", &driver.stats().queries,
              "statements sent to PostgreSQL (with begin/commit/rollback)");
    spec.stat("errors", &driver.stats().errors,
              "DB calls that failed: SQL errors, timeouts, server unavailable");
    spec.stat("reconnects", &driver.stats().reconnects,
              "connections made again after a lost connection or a failed attempt");
  }
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("db_postgres", sipline::DbPostgresModule)
