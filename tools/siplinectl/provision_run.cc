#include "tools/siplinectl/provision_run.h"

#include <algorithm>

#include "tools/siplinectl/cache_flush.h"
#include "tools/siplinectl/db_errors.h"
#include "tools/siplinectl/domains.h"
#include "tools/siplinectl/password.h"
#include "tools/siplinectl/run_util.h"
#include "tools/siplinectl/services_run.h"
#include "tools/siplinectl/subscribers.h"

namespace sipline::ctl {

Json okJson(const Invocation& inv, const TargetInfo& info) {
  Json j = Json::object();
  j["command"] = commandName(inv.command);
  j["ok"] = true;
  Json db = Json::object();
  db["url"] = info.url_text;
  db["source"] = info.source;
  j["database"] = std::move(db);
  return j;
}

int failWith(RunContext& ctx, const Invocation& inv, const TargetInfo& info, const Status& st) {
  // Never the server's DETAIL (it can hold the failing row, hashes and all): db_errors.h.
  std::string message = oneLine(withoutServerDetail(st.message()));
  int code = kExitFailure;
  switch (st.code()) {
    case Code::kUnavailable:
      code = kExitUnreachable;
      message = aboutTarget("lost the connection to", info, Status::unavailable(message));
      break;
    case Code::kAlreadyExists:
      code = kExitAlreadyExists;
      break;
    case Code::kNotFound:
      code = kExitNotFound;
      break;
    case Code::kFailedPrecondition:
      // Only the refusals of subscribers.cc/domains.cc carry this code (db_errors.h); any
      // other command's is a plain failure.
      if (inv.command == Command::kSubscriberAdd) code = kExitUnknownDomain;
      if (inv.command == Command::kDomainRm) code = kExitDomainInUse;
      break;
    default:
      // Most likely a database without this siplinectl's tables ("relation ... does not exist").
      if (message.find("does not exist") != std::string::npos) {
        message += " ('siplinectl db check' compares the database with the schema)";
      }
      break;
  }
  return fail(ctx, inv, code, message);
}

std::string moreText(std::size_t shown, const char* what, int limit) {
  return "first " + std::to_string(shown) + " " + what +
         " shown; there are more (--limit N, 0 = all;" + " the limit was " + std::to_string(limit) +
         ")\n";
}

namespace {

void emit(RunContext& ctx, const Json& j) { ctx.out << j.dump(2) << "\n"; }

// Text lines about a password this command generated (shown once, never again).
void printGenerated(const ProvisionInput& input, const Invocation& inv, RunContext& ctx) {
  if (!input.password_generated) return;
  ctx.out << "password: " << input.password << "\n"
          << (inv.store_password ? "(generated; shown only now)\n"
                                 : "(generated; shown only now: it is stored as hashes only)\n");
}

void addPasswordJson(const ProvisionInput& input, const Invocation& inv, Json& j) {
  j["password_generated"] = input.password_generated;
  if (input.password_generated) j["password"] = input.password;
  j["password_stored"] = inv.store_password;
}

// Flushes and reports: text on stdout when done, a note on stderr when not (unless quiet);
// with --json the report goes into `j` only.
void reportFlush(const Invocation& inv, RunContext& ctx, const std::vector<std::string>& aors,
                 Json& j, bool quiet = false) {
  if (aors.empty()) return;
  FlushReport report = flushCredentialCache(inv, ctx.mi_connect, aors);
  j["cache_flush"] = flushJson(report);
  if (inv.json) return;
  if (report.done) {
    ctx.out << "the server's cached credentials of "
            << (aors.size() == 1 ? aors.front() : std::to_string(aors.size()) + " subscribers")
            << " were dropped (" << report.socket << ")\n";
  } else if (!quiet) {
    ctx.err << "siplinectl: note: " << report.note << "\n";
  }
}

std::string passwordNote(const Invocation& inv) {
  return inv.store_password ? "HA1 hashes and the clear password stored"
                            : "HA1 hashes stored, no clear password";
}

int runSubscriberAdd(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                     const TargetInfo& info, RunContext& ctx) {
  NewSubscriber sub{input.aor, input.password, inv.store_password, inv.email, !inv.force};
  Status st = addSubscriber(conn, sub);
  if (!st.isOk()) return failWith(ctx, inv, info, st);
  Json j = okJson(inv, info);
  if (inv.json) {
    j["subscriber"] = input.aor.text();
    j["user"] = input.aor.user;
    j["domain"] = input.aor.domain;
    j["email"] = inv.email;
    addPasswordJson(input, inv, j);
  } else {
    ctx.out << "added subscriber " << input.aor.text() << " (" << passwordNote(inv) << ")\n";
    printGenerated(input, inv, ctx);
  }
  // auth_db caches "no such subscriber" for a few seconds: drop that so the new one works at
  // once. Quiet when no server answers: then there is no cache to worry about.
  reportFlush(inv, ctx, {input.aor.text()}, j, true);
  if (inv.json) emit(ctx, j);
  return kExitOk;
}

int runSubscriberPasswd(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                        const TargetInfo& info, RunContext& ctx) {
  Status st = setSubscriberPassword(conn, input.aor, input.password, inv.store_password);
  if (!st.isOk()) return failWith(ctx, inv, info, st);
  Json j = okJson(inv, info);
  j["subscriber"] = input.aor.text();
  addPasswordJson(input, inv, j);
  if (!inv.json) {
    ctx.out << "changed the password of " << input.aor.text() << " (" << passwordNote(inv) << ")\n";
    printGenerated(input, inv, ctx);
  }
  reportFlush(inv, ctx, {input.aor.text()}, j);
  if (inv.json) emit(ctx, j);
  return kExitOk;
}

int runSubscriberRm(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                    const TargetInfo& info, RunContext& ctx) {
  Status st = removeSubscriber(conn, input.aor);
  if (!st.isOk()) return failWith(ctx, inv, info, st);
  Json j = okJson(inv, info);
  j["subscriber"] = input.aor.text();
  if (!inv.json) ctx.out << "removed subscriber " << input.aor.text() << "\n";
  reportFlush(inv, ctx, {input.aor.text()}, j);
  if (inv.json) emit(ctx, j);
  return kExitOk;
}

Json subscriberJson(const SubscriberRow& row) {
  Json j = Json::object();
  j["id"] = row.id;
  j["subscriber"] = row.aor.text();
  j["user"] = row.aor.user;
  j["domain"] = row.aor.domain;
  j["email"] = row.email;
  j["created"] = row.created;
  j["password_stored"] = row.password_stored;
  return j;
}

int runSubscriberShow(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                      const TargetInfo& info, RunContext& ctx) {
  Result<SubscriberRow> row = findSubscriber(conn, input.aor);
  if (!row.isOk()) return failWith(ctx, inv, info, row.status());
  const SubscriberRow& r = row.value();
  const std::pair<const char*, const std::string*> hashes[] = {
      {"ha1", &r.ha1.md5}, {"ha1_sha256", &r.ha1.sha256}, {"ha1_sha512t256", &r.ha1.sha512_256}};
  if (inv.json) {
    Json j = okJson(inv, info);
    Json s = subscriberJson(r);
    Json h = Json::object();
    for (const auto& [name, value] : hashes) {
      h[name] = inv.show_hashes ? Json(*value) : Json(!value->empty());
    }
    s[inv.show_hashes ? "ha1" : "ha1_set"] = std::move(h);
    j["subscriber"] = std::move(s);
    emit(ctx, j);
    return kExitOk;
  }
  ctx.out << "subscriber      " << r.aor.text() << "\n"
          << "id              " << r.id << "\n"
          << "email           " << (r.email.empty() ? "-" : r.email) << "\n"
          << "created         " << r.created << "\n"
          << "password        "
          << (r.password_stored ? "stored in clear (for calculate_ha1)" : "not stored") << "\n";
  for (const auto& [name, value] : hashes) {
    std::string shown = value->empty() ? "not set" : inv.show_hashes ? *value : "set";
    ctx.out << name << std::string(16 - std::string(name).size(), ' ') << shown << "\n";
  }
  return kExitOk;
}

int runSubscriberList(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                      const TargetInfo& info, RunContext& ctx) {
  Result<SubscriberPage> page = listSubscribers(conn, input.domain, inv.limit);
  if (!page.isOk()) return failWith(ctx, inv, info, page.status());
  const SubscriberPage& p = page.value();
  if (inv.json) {
    Json j = okJson(inv, info);
    j["domain"] = input.domain.empty() ? Json(nullptr) : Json(input.domain);
    j["limit"] = inv.limit;
    j["truncated"] = p.truncated;
    Json rows = Json::array();
    for (const SubscriberRow& r : p.rows) rows.push_back(subscriberJson(r));
    j["subscribers"] = std::move(rows);
    emit(ctx, j);
    return kExitOk;
  }
  std::size_t width = 10;
  for (const SubscriberRow& r : p.rows) width = std::max(width, r.aor.text().size());
  for (const SubscriberRow& r : p.rows) {
    const std::string aor = r.aor.text();
    ctx.out << aor << std::string(width + 2 - aor.size(), ' ') << r.created << "  "
            << (r.email.empty() ? "-" : r.email) << "\n";
  }
  if (p.truncated) {
    ctx.out << moreText(p.rows.size(), "subscribers", inv.limit);
  } else {
    ctx.out << p.rows.size() << (p.rows.size() == 1 ? " subscriber" : " subscribers")
            << (input.domain.empty() ? "" : " of " + input.domain) << "\n";
  }
  return kExitOk;
}

int runDomainAdd(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                 const TargetInfo& info, RunContext& ctx) {
  Status st = addDomain(conn, input.domain);
  if (!st.isOk()) return failWith(ctx, inv, info, st);
  Json j = okJson(inv, info);
  j["domain"] = input.domain;
  if (!inv.json) ctx.out << "added domain " << input.domain << "\n";
  // The domain module caches the table; --reload refreshes it (no hint by default: many
  // setups do not load that module).
  return reloadAfterChange(inv, ctx, j, false);
}

int runDomainRm(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                const TargetInfo& info, RunContext& ctx) {
  Result<DomainRemoval> removal = removeDomain(conn, input.domain, inv.force);
  if (!removal.isOk()) return failWith(ctx, inv, info, removal.status());
  std::vector<std::string> aors;
  for (const std::string& user : removal.value().removed_users) {
    aors.push_back(Aor{user, input.domain}.text());
  }
  Json j = okJson(inv, info);
  j["domain"] = input.domain;
  j["removed_subscribers"] = aors;
  if (!inv.json) {
    ctx.out << "removed domain " << input.domain;
    if (!aors.empty()) {
      ctx.out << " and its " << aors.size() << (aors.size() == 1 ? " subscriber" : " subscribers");
    }
    ctx.out << "\n";
  }
  reportFlush(inv, ctx, aors, j);
  return reloadAfterChange(inv, ctx, j, false);
}

int runDomainList(const Invocation& inv, db::Connection& conn, const TargetInfo& info,
                  RunContext& ctx) {
  Result<DomainPage> page = listDomains(conn, inv.limit);
  if (!page.isOk()) return failWith(ctx, inv, info, page.status());
  const DomainPage& p = page.value();
  if (inv.json) {
    Json j = okJson(inv, info);
    j["limit"] = inv.limit;
    j["truncated"] = p.truncated;
    Json rows = Json::array();
    for (const DomainRow& r : p.rows) {
      Json d = Json::object();
      d["domain"] = r.domain;
      d["created"] = r.created;
      d["subscribers"] = r.subscribers;
      rows.push_back(std::move(d));
    }
    j["domains"] = std::move(rows);
    emit(ctx, j);
    return kExitOk;
  }
  std::size_t width = 6;
  for (const DomainRow& r : p.rows) width = std::max(width, r.domain.size());
  for (const DomainRow& r : p.rows) {
    ctx.out << r.domain << std::string(width + 2 - r.domain.size(), ' ') << r.created << "  "
            << r.subscribers << (r.subscribers == 1 ? " subscriber" : " subscribers") << "\n";
  }
  if (p.truncated) {
    ctx.out << moreText(p.rows.size(), "domains", inv.limit);
  } else {
    ctx.out << p.rows.size() << (p.rows.size() == 1 ? " domain" : " domains") << "\n";
  }
  return kExitOk;
}

}  // namespace

bool isProvisionCommand(Command c) {
  switch (c) {
    case Command::kSubscriberAdd:
    case Command::kSubscriberPasswd:
    case Command::kSubscriberRm:
    case Command::kSubscriberShow:
    case Command::kSubscriberList:
    case Command::kDomainAdd:
    case Command::kDomainRm:
    case Command::kDomainList:
      return true;
    default:
      return false;
  }
}

Result<ProvisionInput> prepareProvision(const Invocation& inv, RunContext& ctx) {
  ProvisionInput input;
  const bool by_aor =
      inv.command == Command::kSubscriberAdd || inv.command == Command::kSubscriberPasswd ||
      inv.command == Command::kSubscriberRm || inv.command == Command::kSubscriberShow;
  if (by_aor) {
    Result<Aor> aor = parseAor(inv.operands.at(0));
    if (!aor.isOk()) return aor.status();
    input.aor = std::move(aor).value();
  } else if (!inv.operands.empty()) {  // domain add/rm DOMAIN, subscriber list DOMAIN
    Result<std::string> domain = parseDomain(inv.operands[0]);
    if (!domain.isOk()) return domain.status();
    input.domain = std::move(domain).value();
  }
  if (inv.email_given) {
    Status st = checkEmail(inv.email);
    if (!st.isOk()) return st;
  }
  if (inv.command != Command::kSubscriberAdd && inv.command != Command::kSubscriberPasswd) {
    return input;
  }
  if (inv.operands.size() > 1) {
    Status st = checkPassword(inv.operands[1]);
    if (!st.isOk()) return st;
    input.password = inv.operands[1];
  } else if (inv.password_stdin) {
    if (ctx.in == nullptr) return Status::invalidArgument("--stdin: no standard input");
    Result<std::string> line = readPasswordLine(*ctx.in);
    if (!line.isOk()) return line.status();
    input.password = std::move(line).value();
  } else {
    Result<std::string> made = generatePassword();
    if (!made.isOk()) return made.status();
    input.password = std::move(made).value();
    input.password_generated = true;
  }
  return input;
}

int runProvision(const Invocation& inv, const ProvisionInput& input, db::Connection& conn,
                 const TargetInfo& info, RunContext& ctx) {
  switch (inv.command) {
    case Command::kSubscriberAdd:
      return runSubscriberAdd(inv, input, conn, info, ctx);
    case Command::kSubscriberPasswd:
      return runSubscriberPasswd(inv, input, conn, info, ctx);
    case Command::kSubscriberRm:
      return runSubscriberRm(inv, input, conn, info, ctx);
    case Command::kSubscriberShow:
      return runSubscriberShow(inv, input, conn, info, ctx);
    case Command::kSubscriberList:
      return runSubscriberList(inv, input, conn, info, ctx);
    case Command::kDomainAdd:
      return runDomainAdd(inv, input, conn, info, ctx);
    case Command::kDomainRm:
      return runDomainRm(inv, input, conn, info, ctx);
    case Command::kDomainList:
      return runDomainList(inv, conn, info, ctx);
    default:
      return fail(ctx, inv, kExitFailure, "not a subscriber or domain command");
  }
}

}  // namespace sipline::ctl
