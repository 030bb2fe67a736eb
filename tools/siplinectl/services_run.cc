#include "tools/siplinectl/services_run.h"

#include "tools/siplinectl/groups.h"
#include "tools/siplinectl/mgmt_output.h"
#include "tools/siplinectl/mgmt_run.h"
#include "tools/siplinectl/provision_run.h"
#include "tools/siplinectl/run_util.h"
#include "tools/siplinectl/tables.h"

namespace sipline::ctl {

namespace {

void emit(RunContext& ctx, const Json& j) { ctx.out << j.dump(2) << "\n"; }

std::string countText(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string orDash(const std::string& text) { return text.empty() ? "-" : text; }

// The table a change of `c` is about: "dispatcher", "address" or "domain".
const char* tableOf(Command c) {
  if (c == Command::kDispatcherAdd || c == Command::kDispatcherRm) return "dispatcher";
  if (c == Command::kDomainAdd || c == Command::kDomainRm) return "domain";
  return "address";
}

}  // namespace

int reloadAfterChange(const Invocation& inv, RunContext& ctx, Json& j, bool with_hint) {
  const char* method = reloadMethodFor(inv.command);
  const std::string table = tableOf(inv.command);
  const std::string hint =
      "run 'siplinectl " +
      (table == "domain" ? std::string("mi domain_reload") : table + " reload") +
      "' (or give --reload) so that the running server uses it";
  Json r = Json::object();
  r["method"] = method;
  if (!inv.reload && !with_hint) {
    if (inv.json) emit(ctx, j);
    return kExitOk;
  }
  if (!inv.reload) {
    r["done"] = false;
    r["hint"] = hint;
    j["reload"] = std::move(r);
    if (inv.json) {
      emit(ctx, j);
    } else {
      ctx.out << hint << "\n";
    }
    return kExitOk;
  }
  MiOutcome outcome = callServer(inv, ctx, method, nullptr);
  r["done"] = outcome.exit_code == kExitOk;
  if (outcome.exit_code == kExitOk) {
    j["reload"] = std::move(r);
    if (inv.json) {
      emit(ctx, j);
    } else {
      ctx.out << "the server reloaded table " << table << " (" << method << ")\n";
    }
    return kExitOk;
  }
  const std::string message = "the change is in the database, but the server did not reload it (" +
                              outcome.message + "); " + hint;
  r["error"] = outcome.message;
  j["reload"] = std::move(r);
  ctx.err << "siplinectl: " << commandName(inv.command) << ": warning: " << message << "\n";
  if (inv.json) {
    j["ok"] = false;
    j["exit"] = static_cast<int>(kExitReloadFailed);
    j["error"] = message;
    emit(ctx, j);
  }
  return kExitReloadFailed;
}

namespace {

Json gatewayJson(const Gateway& gw) {
  Json j = Json::object();
  j["setid"] = gw.setid;
  j["destination"] = gw.destination;
  const char* state = dsStateName(gw.state);
  j["state"] = state ? Json(state) : Json(gw.state);
  j["weight"] = gw.weight;
  j["priority"] = gw.priority;
  j["socket"] = gw.socket;
  j["attrs"] = gw.attrs;
  j["description"] = gw.description;
  return j;
}

int runDispatcher(const Invocation& inv, const ServiceInput& in, db::Connection& conn,
                  const TargetInfo& info, RunContext& ctx) {
  const Gateway& gw = in.gateway;
  if (inv.command == Command::kDispatcherList) {
    Result<GatewayPage> page = listGateways(conn, in.number, inv.limit);
    if (!page.isOk()) return failWith(ctx, inv, info, page.status());
    const GatewayPage& p = page.value();
    if (inv.json) {
      Json j = okJson(inv, info);
      j["setid"] = in.number ? Json(*in.number) : Json(nullptr);
      j["limit"] = inv.limit;
      j["truncated"] = p.truncated;
      Json rows = Json::array();
      for (const Gateway& g : p.rows) rows.push_back(gatewayJson(g));
      j["destinations"] = std::move(rows);
      emit(ctx, j);
      return kExitOk;
    }
    TextTable t(
        {"SET", "DESTINATION", "STATE", "WEIGHT", "PRIORITY", "SOCKET", "ATTRS", "DESCRIPTION"});
    t.alignRight(0);
    t.alignRight(3);
    t.alignRight(4);
    for (const Gateway& g : p.rows) {
      const char* state = dsStateName(g.state);
      t.addRow({std::to_string(g.setid), g.destination, state ? state : std::to_string(g.state),
                std::to_string(g.weight), std::to_string(g.priority), orDash(g.socket),
                orDash(g.attrs), orDash(g.description)});
    }
    if (t.rows() > 0) t.print(ctx.out);
    ctx.out << (p.truncated ? moreText(p.rows.size(), "destinations", inv.limit)
                            : countText(p.rows.size(), "destination", "destinations") + "\n");
    return kExitOk;
  }
  const bool add = inv.command == Command::kDispatcherAdd;
  Status st = add ? addGateway(conn, gw) : removeGateway(conn, gw.setid, gw.destination);
  if (!st.isOk()) return failWith(ctx, inv, info, st);
  Json j = okJson(inv, info);
  if (add) {
    j["destination"] = gatewayJson(gw);
  } else {
    j["setid"] = gw.setid;
    j["destination"] = gw.destination;
  }
  if (!inv.json) {
    if (add) {
      ctx.out << "added " << gw.destination << " to set " << gw.setid << " (weight " << gw.weight
              << ", priority " << gw.priority << ", " << dsStateName(gw.state) << ")\n";
    } else {
      ctx.out << "removed " << gw.destination << " from set " << gw.setid << "\n";
    }
  }
  return reloadAfterChange(inv, ctx, j, true);
}

Json addressJson(const AddressRow& a) {
  Json j = Json::object();
  j["group"] = a.group;
  j["ip"] = a.ip;
  j["mask"] = a.mask;
  j["port"] = a.port;
  j["proto"] = a.proto;
  j["pattern"] = a.pattern;
  j["context"] = a.context;
  return j;
}

int runAddress(const Invocation& inv, const ServiceInput& in, db::Connection& conn,
               const TargetInfo& info, RunContext& ctx) {
  const AddressRow& a = in.address;
  if (inv.command == Command::kAddressList) {
    Result<AddressPage> page = listAddresses(conn, in.number, inv.limit);
    if (!page.isOk()) return failWith(ctx, inv, info, page.status());
    const AddressPage& p = page.value();
    if (inv.json) {
      Json j = okJson(inv, info);
      j["group"] = in.number ? Json(*in.number) : Json(nullptr);
      j["limit"] = inv.limit;
      j["truncated"] = p.truncated;
      Json rows = Json::array();
      for (const AddressRow& r : p.rows) rows.push_back(addressJson(r));
      j["addresses"] = std::move(rows);
      emit(ctx, j);
      return kExitOk;
    }
    TextTable t({"GROUP", "ADDRESS", "PORT", "PROTO", "PATTERN", "CONTEXT"});
    t.alignRight(0);
    t.alignRight(2);
    for (const AddressRow& r : p.rows) {
      t.addRow({std::to_string(r.group), addressText(r),
                r.port == 0 ? "any" : std::to_string(r.port), r.proto, orDash(r.pattern),
                orDash(r.context)});
    }
    if (t.rows() > 0) t.print(ctx.out);
    ctx.out << (p.truncated ? moreText(p.rows.size(), "addresses", inv.limit)
                            : countText(p.rows.size(), "address", "addresses") + "\n");
    return kExitOk;
  }
  Json j = okJson(inv, info);
  if (inv.command == Command::kAddressAdd) {
    Status st = addAddress(conn, a);
    if (!st.isOk()) return failWith(ctx, inv, info, st);
    j["address"] = addressJson(a);
    if (!inv.json) {
      ctx.out << "added " << addressText(a) << " (port "
              << (a.port == 0 ? std::string("any") : std::to_string(a.port)) << ", proto "
              << a.proto << ") to group " << a.group << "\n";
    }
  } else {
    Result<std::int64_t> removed = removeAddresses(conn, a.group, a.ip, a.mask, in.port, in.proto);
    if (!removed.isOk()) return failWith(ctx, inv, info, removed.status());
    j["group"] = a.group;
    j["ip"] = a.ip;
    j["mask"] = a.mask;
    j["removed"] = removed.value();
    if (!inv.json) {
      ctx.out << "removed " << countText(static_cast<std::size_t>(removed.value()), "row", "rows")
              << " of " << addressText(a) << " from group " << a.group << "\n";
    }
  }
  return reloadAfterChange(inv, ctx, j, true);
}

Json membershipJson(const GroupMembership& m) {
  Json j = Json::object();
  j["subscriber"] = m.aor.text();
  j["group"] = m.group;
  j["last_modified"] = m.last_modified;
  return j;
}

int runGroup(const Invocation& inv, const ServiceInput& in, db::Connection& conn,
             const TargetInfo& info, RunContext& ctx) {
  Json j = okJson(inv, info);
  switch (inv.command) {
    case Command::kGroupAdd:
    case Command::kGroupRm: {
      const bool add = inv.command == Command::kGroupAdd;
      Status st = add ? addToGroup(conn, in.aor, in.group, !inv.force)
                      : removeFromGroup(conn, in.aor, in.group);
      if (!st.isOk()) return failWith(ctx, inv, info, st);
      j["subscriber"] = in.aor.text();
      j["group"] = in.group;
      if (inv.json) {
        emit(ctx, j);
      } else {
        ctx.out << (add ? "added " : "removed ") << in.aor.text() << (add ? " to" : " from")
                << " group " << in.group << "\n";
      }
      return kExitOk;
    }
    case Command::kGroupShow: {
      Result<std::vector<GroupMembership>> groups = groupsOf(conn, in.aor);
      if (!groups.isOk()) return failWith(ctx, inv, info, groups.status());
      if (inv.json) {
        j["subscriber"] = in.aor.text();
        Json names = Json::array();
        for (const GroupMembership& m : groups.value()) names.push_back(m.group);
        j["groups"] = std::move(names);
        emit(ctx, j);
        return kExitOk;
      }
      for (const GroupMembership& m : groups.value()) ctx.out << m.group << "\n";
      ctx.out << in.aor.text() << " is in " << countText(groups.value().size(), "group", "groups")
              << "\n";
      return kExitOk;
    }
    default: {  // list
      Result<GroupPage> page = groupMembers(conn, in.group, inv.limit);
      if (!page.isOk()) return failWith(ctx, inv, info, page.status());
      const GroupPage& p = page.value();
      if (inv.json) {
        j["group"] = in.group;
        j["limit"] = inv.limit;
        j["truncated"] = p.truncated;
        Json rows = Json::array();
        for (const GroupMembership& m : p.rows) rows.push_back(membershipJson(m));
        j["members"] = std::move(rows);
        emit(ctx, j);
        return kExitOk;
      }
      TextTable t({"SUBSCRIBER", "SINCE"});
      for (const GroupMembership& m : p.rows) t.addRow({m.aor.text(), m.last_modified});
      if (t.rows() > 0) t.print(ctx.out);
      ctx.out << (p.truncated ? moreText(p.rows.size(), "members", inv.limit)
                              : countText(p.rows.size(), "member", "members") + " of group " +
                                    in.group + "\n");
      return kExitOk;
    }
  }
}

Json aliasJson(const AliasRow& a) {
  Json j = Json::object();
  j["alias"] = a.alias.text();
  j["subscriber"] = a.target.text();
  return j;
}

int runAlias(const Invocation& inv, const ServiceInput& in, db::Connection& conn,
             const TargetInfo& info, RunContext& ctx) {
  Json j = okJson(inv, info);
  switch (inv.command) {
    case Command::kAliasAdd: {
      const AliasRow row{Aor{in.alias_user, in.alias_domain.value_or(in.aor.domain)}, in.aor};
      Status st = addAlias(conn, row, !inv.force);
      if (!st.isOk()) return failWith(ctx, inv, info, st);
      j["alias"] = aliasJson(row);
      if (inv.json) {
        emit(ctx, j);
      } else {
        ctx.out << "added alias " << row.alias.text() << " for " << row.target.text() << "\n";
      }
      return kExitOk;
    }
    case Command::kAliasRm: {
      Result<AliasRow> removed = removeAlias(conn, in.alias_user, in.alias_domain);
      if (!removed.isOk()) return failWith(ctx, inv, info, removed.status());
      j["alias"] = aliasJson(removed.value());
      if (inv.json) {
        emit(ctx, j);
      } else {
        ctx.out << "removed alias " << removed.value().alias.text() << " (for "
                << removed.value().target.text() << ")\n";
      }
      return kExitOk;
    }
    default: {  // list
      Result<AliasPage> page = listAliases(conn, in.list_aor, inv.limit);
      if (!page.isOk()) return failWith(ctx, inv, info, page.status());
      const AliasPage& p = page.value();
      if (inv.json) {
        j["subscriber"] = in.list_aor ? Json(in.list_aor->text()) : Json(nullptr);
        j["limit"] = inv.limit;
        j["truncated"] = p.truncated;
        Json rows = Json::array();
        for (const AliasRow& a : p.rows) rows.push_back(aliasJson(a));
        j["aliases"] = std::move(rows);
        emit(ctx, j);
        return kExitOk;
      }
      TextTable t({"ALIAS", "SUBSCRIBER"});
      for (const AliasRow& a : p.rows) t.addRow({a.alias.text(), a.target.text()});
      if (t.rows() > 0) t.print(ctx.out);
      ctx.out << (p.truncated ? moreText(p.rows.size(), "aliases", inv.limit)
                              : countText(p.rows.size(), "alias", "aliases") + "\n");
      return kExitOk;
    }
  }
}

Json forwardingJson(const Forwarding& f) {
  Json j = Json::object();
  j["always"] = f.always ? Json(*f.always) : Json(nullptr);
  j["busy"] = f.busy ? Json(*f.busy) : Json(nullptr);
  j["noanswer"] = f.noanswer ? Json(*f.noanswer) : Json(nullptr);
  return j;
}

void printForwarding(const Forwarding& f, std::ostream& out) {
  out << "always     " << f.always.value_or("-") << "\n"
      << "busy       " << f.busy.value_or("-") << "\n"
      << "noanswer   " << f.noanswer.value_or("-") << "\n";
}

int runCallfwd(const Invocation& inv, const ServiceInput& in, db::Connection& conn,
               const TargetInfo& info, RunContext& ctx) {
  Json j = okJson(inv, info);
  j["subscriber"] = in.aor.text();
  if (inv.command == Command::kCallfwdSet) {
    Status st = setForwarding(conn, in.aor, in.forwarding, !inv.force);
    if (!st.isOk()) return failWith(ctx, inv, info, st);
  } else if (inv.command == Command::kCallfwdClear) {
    Result<std::int64_t> removed = clearForwarding(conn, in.aor, in.clear);
    if (!removed.isOk()) return failWith(ctx, inv, info, removed.status());
    j["cleared"] = in.clear;
    j["removed"] = removed.value();
  }
  // Every command shows the state afterwards: what the next call will use.
  Result<Forwarding> now = showForwarding(conn, in.aor);
  if (!now.isOk()) return failWith(ctx, inv, info, now.status());
  j["forwarding"] = forwardingJson(now.value());
  if (inv.json) {
    emit(ctx, j);
    return kExitOk;
  }
  if (inv.command == Command::kCallfwdClear) {
    ctx.out << "cleared "
            << countText(static_cast<std::size_t>(j["removed"].get<std::int64_t>()), "forwarding",
                         "forwardings")
            << " of " << in.aor.text() << "\n";
  } else if (inv.command == Command::kCallfwdSet) {
    ctx.out << "call forwarding of " << in.aor.text() << " set:\n";
  }
  printForwarding(now.value(), ctx.out);
  return kExitOk;
}

// ds_list's result as a table: the dispatcher module's sets with the live state of each
// destination. Tolerant of the shape (mgmt_output.h's rule): {"sets": [{"id", "destinations":
// [{"uri", "state", "weight", "priority", ...}]}]}; anything else prints as JSON.
void printDsList(const Json& result, std::ostream& out) {
  const Json& sets = field(result, "sets");
  if (!sets.is_array()) {
    out << result.dump(2) << "\n";
    return;
  }
  TextTable t({"SET", "DESTINATION", "STATE", "WEIGHT", "PRIORITY", "FAILURES"});
  t.alignRight(0);
  t.alignRight(3);
  t.alignRight(4);
  t.alignRight(5);
  for (const Json& set : sets) {
    const Json& id = field(set, "id").is_null() ? field(set, "setid") : field(set, "id");
    const Json& dests = field(set, "destinations");
    if (!dests.is_array()) continue;
    for (const Json& d : dests) {
      const Json& uri = field(d, "uri").is_null() ? field(d, "destination") : field(d, "uri");
      const Json& failures =
          field(d, "failures").is_null() ? field(d, "probe_failures") : field(d, "failures");
      t.addRow({cellText(id), cellText(uri), cellText(field(d, "state")),
                cellText(field(d, "weight")), cellText(field(d, "priority")), cellText(failures)});
    }
  }
  t.print(out);
  out << countText(sets.size(), "set", "sets") << ", "
      << countText(t.rows(), "destination", "destinations") << "\n";
}

}  // namespace

const char* reloadMethodFor(Command c) {
  if (c == Command::kDispatcherAdd || c == Command::kDispatcherRm) return "ds_reload";
  if (c == Command::kDomainAdd || c == Command::kDomainRm) return "domain_reload";
  return "address_reload";
}

int runServiceMi(const Invocation& inv, const ServiceInput& input, RunContext& ctx) {
  std::string method;
  Json params = nullptr;
  switch (inv.command) {
    case Command::kDispatcherReload:
      method = "ds_reload";
      break;
    case Command::kDispatcherStatus:
      method = "ds_list";
      break;
    case Command::kDispatcherSetState:
      method = "ds_set_state";
      params = Json::object();
      params["state"] = input.ds_state_letter;
      params["set"] = input.gateway.setid;
      params["destination"] = input.gateway.destination;
      break;
    default:
      method = "address_reload";
      break;
  }
  MiOutcome outcome = callServer(inv, ctx, method, params);
  if (outcome.exit_code != kExitOk) return fail(ctx, inv, outcome.exit_code, outcome.message);
  if (inv.json) {
    emit(ctx, outcome.result);
    return kExitOk;
  }
  switch (inv.command) {
    case Command::kDispatcherStatus:
      printDsList(outcome.result, ctx.out);
      break;
    case Command::kDispatcherSetState:
      ctx.out << input.gateway.destination << " of set " << input.gateway.setid << " is now "
              << inv.operands[0] << " (in the running server; table dispatcher is unchanged)\n";
      break;
    default:
      ctx.out << "the server reloaded table "
              << (inv.command == Command::kDispatcherReload ? "dispatcher" : "address") << " ("
              << method << ")\n";
      break;
  }
  return kExitOk;
}

int runService(const Invocation& inv, const ServiceInput& input, db::Connection& conn,
               const TargetInfo& info, RunContext& ctx) {
  switch (inv.command) {
    case Command::kDispatcherAdd:
    case Command::kDispatcherRm:
    case Command::kDispatcherList:
      return runDispatcher(inv, input, conn, info, ctx);
    case Command::kAddressAdd:
    case Command::kAddressRm:
    case Command::kAddressList:
      return runAddress(inv, input, conn, info, ctx);
    case Command::kGroupAdd:
    case Command::kGroupRm:
    case Command::kGroupShow:
    case Command::kGroupList:
      return runGroup(inv, input, conn, info, ctx);
    case Command::kAliasAdd:
    case Command::kAliasRm:
    case Command::kAliasList:
      return runAlias(inv, input, conn, info, ctx);
    case Command::kCallfwdSet:
    case Command::kCallfwdClear:
    case Command::kCallfwdShow:
      return runCallfwd(inv, input, conn, info, ctx);
    default:
      return fail(ctx, inv, kExitFailure, "not a gateway or service command");
  }
}

}  // namespace sipline::ctl
