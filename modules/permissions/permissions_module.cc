// permissions: address groups (trusted gateways and peers) from the PostgreSQL address table.
// Glue only: parameters, statistics, MI and the binding of check_source_address(),
// check_address(), get_source_group(), allow_routing(), allow_register() and allow_uri(); the table
// and the matching are in permissions.h and address_rule.h, the allow/deny files in route_rules.h.
#include <memory>
#include <optional>
#include <string>

#include "core/base/log.h"
#include "core/module/module.h"
#include "core/sip/msg_context.h"
#include "modules/permissions/permissions.h"
#include "modules/permissions/permissions_mi.h"
#include "modules/permissions/route_rules.h"

namespace sipline {
namespace {

using permissions::AddressQuery;
using permissions::AddressRule;
using permissions::AddressSet;

constexpr std::uint32_t kCheckRoutes = kRequestRoute | kFailureRoute | kBranchRoute | kOnReplyRoute;

// Return codes of the checks (OpenSIPS: true on a match, false otherwise).
constexpr int kMatch = 1;
constexpr int kNoMatch = -1;
constexpr int kBadInput = -2;  // a variable held no usable group, address, port or proto;
                               // allow_register() for a request that is no REGISTER

bool absent(const ScriptArgs& a, std::size_t i) {
  return a.size() <= i || (a[i].kind == ScriptArg::Kind::kString && a[i].text.empty());
}

// An output argument ($avp(x), $var(x)): a writable pseudo-variable.
Result<std::shared_ptr<script::PvarRef>> bindOut(const ScriptArg& a, BindContext& bc) {
  // $var(n) written bare or quoted ("$avp(info)", as OpenSIPS scripts do).
  bool quoted = a.kind == ScriptArg::Kind::kString && a.text.size() > 1 && a.text[0] == '$';
  if (a.kind != ScriptArg::Kind::kPvar && !quoted) {
    return bc.error(a, Status::invalidArgument("expected a writable variable such as $var(n)"));
  }
  Result<script::PvarRef> ref = script::resolvePvar(quoted ? a.text.substr(1) : a.text);
  if (!ref.isOk()) return bc.error(a, ref.status());
  if (ref.value().spec->set == nullptr) {
    return bc.error(a, Status::invalidArgument("$" + ref.value().text + " is read-only"));
  }
  return std::make_shared<script::PvarRef>(std::move(ref.value()));
}

void store(MsgContext& ctx, const std::shared_ptr<script::PvarRef>& out, script::Value v) {
  if (out == nullptr) return;
  Status st = out->spec->set(ctx, *out, v);
  if (!st.isOk()) {
    SL_ERR_RATELIMITED("permissions: cannot set $%s: %s", out->text.c_str(), st.message().c_str());
  }
}

std::uint8_t protoOf(Proto p) {
  switch (p) {
    case Proto::kUdp:
      return permissions::kProtoUdp;
    case Proto::kTcp:
      return permissions::kProtoTcp;
    case Proto::kTls:
      return permissions::kProtoTls;
  }
  return permissions::kProtoUdp;
}

std::string_view fromUri(MsgContext& ctx) {
  const NameAddr* from = ctx.msg().from();
  return from != nullptr ? from->uri_text : std::string_view();
}

// "sip:user@host" ("sip:host" without user; the maddr in place of the host when there is one)
// of a sip:/sips: URI, "tel:number" of a tel: one: the form allow_register() matches Contacts
// in, whatever port or other parameters they carry.
void plainUri(const SipUri& uri, std::string& out) {
  if (uri.scheme == SipUri::Scheme::kTel) {
    out = "tel:";
    out += uri.user;
    return;
  }
  out = "sip:";
  if (!uri.user.empty()) {
    out += uri.user;
    out += '@';
  }
  // A maddr parameter is where requests to the URI really go: it stands in for the host, so
  // that "sip:carol@127.0.0.1;maddr=203.0.113.9" cannot pass a rule about 127.0.0.1.
  out += uri.maddr.empty() ? uri.host : uri.maddr;
}

bool evalGroup(const IntArg& g, MsgContext& ctx, std::uint32_t& out) {
  std::int64_t v = 0;
  if (!g.eval(ctx, v) || v < 0 || v > UINT32_MAX) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

// The parts every check has: the group, where the context_info goes, the pattern text.
struct CheckArgs {
  IntArg group;
  std::shared_ptr<script::PvarRef> info_out;
  std::optional<StrArg> pattern;  // none: the From URI
};

class PermissionsModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("address groups of trusted sources (gateways, peers) from PostgreSQL");
    spec.description(
        "Loads the address table (scripts/sql/address.sql) at start into shared memory: "
        "groups of IPv4/IPv6 networks with a port (0: any), a transport (any, udp, tcp, tls, "
        "ws, wss), an optional regular expression the From URI must match and a context_info "
        "text. check_source_address() tells whether the request comes from a member of a "
        "group (to let a PSTN gateway in without digest authentication), check_address() "
        "checks addresses held in variables, get_source_group() names the source's group. "
        "Group 0 means any group.\n\n"
        "Bad rows are skipped with a log line. address_reload reads the table again; when the "
        "DB fails the previous table stays in use, and the checks never wait for the DB. "
        "Needs a DB driver (db_postgres) for db_url; the start is refused when the table's "
        "version or columns are wrong. A DB that cannot be reached at start does not stop "
        "the server: the table starts empty and is loaded in the background (a loader process, "
        "1 s doubling to 30 s) once the DB is back.\n\n"
        "allow_routing() checks the From URI and the request-URI against the rules of an "
        "allow file and a deny file (OpenSIPS permissions.allow/permissions.deny syntax), "
        "read when the script is loaded.");
    permissions::Config& c = service_.config();
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db of the address table");
    spec.param("address_table", &c.address_table, "table of the address groups");
    spec.param("db_connect_timeout", &c.db_connect_timeout_ms, IntRange{50, 60000},
               "ms a DB connection attempt may take");
    spec.param("db_query_timeout", &c.db_query_timeout_ms, IntRange{50, 60000},
               "ms reading the address table may take");
    spec.param("default_allow_file", &c.default_allow_file,
               "allow file of allow_routing() (relative: to the script's directory)");
    spec.param("default_deny_file", &c.default_deny_file, "deny file of allow_routing()");
    spec.param("allow_suffix", &c.allow_suffix,
               "suffix of the allow file of a basename (allow_routing, allow_register, allow_uri)");
    spec.param("deny_suffix", &c.deny_suffix, "suffix of the deny file of a basename");
    spec.param("check_all_branches", &c.check_all_branches,
               "allow_routing() checks the request-URI of every branch, not only the first");

    spec.command(
        "check_source_address",
        {ArgSpec::str("group"), ArgSpec::str("context_info").opt(), ArgSpec::str("pattern").opt()},
        kCheckRoutes, [this](const ScriptArgs& a, BindContext& bc) { return bindSource(a, bc); },
        "check_source_address(group[, context_info_var[, pattern]]): true when the request's "
        "source IP, port and transport belong to the group (0: any group); the matching "
        "rule's context_info goes to the variable; a rule's pattern must match `pattern` "
        "(default: the From URI). -1 no match, -2 the group is not a number");
    spec.command(
        "check_address",
        {ArgSpec::str("group"), ArgSpec::str("ip"), ArgSpec::str("port"), ArgSpec::str("proto"),
         ArgSpec::str("context_info").opt(), ArgSpec::str("pattern").opt()},
        kCheckRoutes, [this](const ScriptArgs& a, BindContext& bc) { return bindAddress(a, bc); },
        "check_address(group, ip, port, proto[, context_info_var[, pattern]]): as "
        "check_source_address for the given address; port 0 and proto \"any\" match every "
        "rule. -1 no match, -2 a value is not a group, address, port or proto");
    spec.command(
        "get_source_group", {ArgSpec::str("var")}, kCheckRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindSourceGroup(a, bc); },
        "get_source_group(var): stores the group of the first rule matching the request's "
        "source (pattern: the From URI) in var; -1 when the source is in no group");

    spec.command(
        "allow_routing", {ArgSpec::str("basename").opt(), ArgSpec::str("deny_file").opt()},
        kRequestRoute | kFailureRoute | kBranchRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindAllowRouting(a, bc); },
        "allow_routing([basename | allow_file, deny_file]): true unless the From URI and a "
        "request-URI match a rule of the deny file and none of the allow file (files read at "
        "start; default_allow_file/default_deny_file without arguments)");

    spec.command(
        "allow_register", {ArgSpec::str("basename"), ArgSpec::str("deny_file").opt()},
        kRequestRoute | kFailureRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindAllowRegister(a, bc); },
        "allow_register(basename | allow_file, deny_file): true unless the REGISTER's To URI "
        "and one of its Contacts match a rule of the deny file and none of the allow file "
        "(a query without Contact and Contact: * pass; -2 for a request that is no REGISTER)");

    spec.command(
        "allow_uri", {ArgSpec::str("basename"), ArgSpec::str("uri")},
        kRequestRoute | kFailureRoute | kBranchRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindAllowUri(a, bc); },
        "allow_uri(basename, uri): true unless the From URI and uri (variables allowed) match "
        "a rule of basename's deny file and none of its allow file");

    permissions::Counters& n = service_.counters();
    spec.stat("address_entries", &n.entries, "rules in the address table in use", StatKind::kGauge);
    spec.stat("checks", &n.checks, "address checks run");
    spec.stat("matches", &n.matches, "address checks that found a rule");
    spec.stat("reloads", &n.reloads, "successful loads of the address table (start included)");
    spec.stat("reload_errors", &n.reload_errors,
              "loads that failed, the background tries after a DB outage at start included "
              "(the previous table stayed in use)");
    spec.stat("bad_rows", &n.bad_rows, "address rows skipped as invalid by the loads");

    spec.mi("address_reload", {},
            "reads the address table again; on a DB error the previous table stays in use",
            [this](const MiParams&) { return permissions::miAddressReload(service_); });
    spec.mi("address_dump", {MiParamSpec::integer("group", "only the rules of this group").opt()},
            "the address rules in use, in the order they are tried",
            [this](const MiParams& p) { return permissions::miAddressDump(service_, p); });
    spec.mi("subnet_dump", {MiParamSpec::integer("group", "only the rules of this group").opt()},
            "the address rules of subnets in use (a mask shorter than the address), in the "
            "order they are tried",
            [this](const MiParams& p) { return permissions::miAddressDump(service_, p, true); });
    // Forked only when the start found the DB down: loads the table once it is back.
    spec.process(
        "permissions-loader", [this] { return service_.runLoader(); },
        [this] { return service_.loadPending(); });
  }

  Status init(InitContext& ctx) override { return service_.init(ctx.segment().manager()); }

 private:
  Result<IntArg> bindGroup(const ScriptArg& a, BindContext& bc) {
    Result<IntArg> g = bc.intArg(a);
    if (!g.isOk()) return g.status();
    if (g.value().isConstant() && (g.value().constant() < 0 || g.value().constant() > UINT32_MAX)) {
      return bc.error(a, Status::invalidArgument("the group must be 0 (any) or a group number"));
    }
    return g;
  }

  Result<CheckArgs> bindCommon(const ScriptArgs& a, BindContext& bc, std::size_t info_at) {
    CheckArgs out;
    Result<IntArg> g = bindGroup(a[0], bc);
    if (!g.isOk()) return g.status();
    out.group = std::move(g.value());
    if (!absent(a, info_at)) {
      Result<std::shared_ptr<script::PvarRef>> o = bindOut(a[info_at], bc);
      if (!o.isOk()) return o.status();
      out.info_out = std::move(o.value());
    }
    if (!absent(a, info_at + 1)) {
      Result<StrArg> p = bc.strArg(a[info_at + 1]);
      if (!p.isOk()) return bc.error(a[info_at + 1], p.status());
      out.pattern = std::move(p.value());
    }
    return out;
  }

  // Runs the query with the pattern text and stores the context_info.
  int run(MsgContext& ctx, const CheckArgs& args, AddressQuery& q) {
    std::string scratch;
    q.text = args.pattern.has_value() ? args.pattern->eval(ctx, scratch) : fromUri(ctx);
    std::shared_ptr<const AddressSet> hold;
    const AddressRule* r = service_.check(q, hold);
    if (r == nullptr) return kNoMatch;
    if (args.info_out != nullptr) store(ctx, args.info_out, script::Value::owned(r->context_info));
    return kMatch;
  }

  static bool sourceQuery(MsgContext& ctx, AddressQuery& q) {
    q.port = ctx.rcv().src.port();
    q.proto = protoOf(ctx.rcv().proto);
    return permissions::ipOfSockaddr(ctx.rcv().src.sa(), q.ip);
  }

  Result<BoundCallPtr> bindSource(const ScriptArgs& a, BindContext& bc) {
    Result<CheckArgs> args = bindCommon(a, bc, 1);
    if (!args.isOk()) return args.status();
    return makeCall([this, args = std::move(args.value())](MsgContext& ctx) {
      AddressQuery q;
      if (!evalGroup(args.group, ctx, q.grp)) {
        SL_ERR_RATELIMITED("permissions: check_source_address: the group is not a number >= 0");
        return Verdict::of(kBadInput);
      }
      if (!sourceQuery(ctx, q)) return Verdict::of(kNoMatch);
      return Verdict::of(run(ctx, args, q));
    });
  }

  Result<BoundCallPtr> bindAddress(const ScriptArgs& a, BindContext& bc) {
    Result<CheckArgs> args = bindCommon(a, bc, 4);
    if (!args.isOk()) return args.status();
    Result<StrArg> ip = bc.strArg(a[1]);
    if (!ip.isOk()) return bc.error(a[1], ip.status());
    permissions::IpBytes probe;
    if (ip.value().isConstant() && !permissions::parseIp(ip.value().constant(), probe)) {
      return bc.error(a[1], Status::invalidArgument("\"" + ip.value().constant() +
                                                    "\" is not an IPv4 or IPv6 address"));
    }
    Result<IntArg> port = bc.intArg(a[2]);
    if (!port.isOk()) return port.status();
    if (port.value().isConstant() &&
        (port.value().constant() < 0 || port.value().constant() > 65535)) {
      return bc.error(a[2], Status::invalidArgument("the port must be within 0..65535 (0: any)"));
    }
    Result<StrArg> proto = bc.strArg(a[3]);
    if (!proto.isOk()) return bc.error(a[3], proto.status());
    std::uint8_t bits = 0;
    if (proto.value().isConstant() && !permissions::parseProto(proto.value().constant(), bits)) {
      return bc.error(
          a[3], Status::invalidArgument("proto must be any, udp, tcp, tls, ws or wss, got \"" +
                                        proto.value().constant() + "\""));
    }
    return makeCall([this, args = std::move(args.value()), ip = std::move(ip.value()),
                     port = std::move(port.value()),
                     proto = std::move(proto.value())](MsgContext& ctx) {
      AddressQuery q;
      std::string s1;
      std::string s2;
      std::int64_t p = 0;
      std::string_view ip_text = ip.eval(ctx, s1);
      std::string_view proto_text = proto.eval(ctx, s2);
      if (!evalGroup(args.group, ctx, q.grp) || !permissions::parseIp(ip_text, q.ip) ||
          !port.eval(ctx, p) || p < 0 || p > 65535 ||
          !permissions::parseProto(proto_text, q.proto)) {
        SL_ERR_RATELIMITED(
            "permissions: check_address: bad values (ip \"%.*s\", proto \"%.*s\", or the group "
            "or port is not a number)",
            SL_SV(ip_text), SL_SV(proto_text));
        return Verdict::of(kBadInput);
      }
      q.port = static_cast<std::uint16_t>(p);
      return Verdict::of(run(ctx, args, q));
    });
  }

  Result<BoundCallPtr> bindSourceGroup(const ScriptArgs& a, BindContext& bc) {
    Result<std::shared_ptr<script::PvarRef>> out = bindOut(a[0], bc);
    if (!out.isOk()) return out.status();
    return makeCall([this, out = std::move(out.value())](MsgContext& ctx) {
      AddressQuery q;  // group 0: any
      if (!sourceQuery(ctx, q)) return Verdict::of(kNoMatch);
      q.text = fromUri(ctx);
      std::shared_ptr<const AddressSet> hold;
      const AddressRule* r = service_.check(q, hold);
      if (r == nullptr) return Verdict::of(kNoMatch);
      store(ctx, out, script::Value::integer(r->grp));
      return Verdict::of(kMatch);
    });
  }

  // The allow/deny files of allow_routing(), allow_register() and allow_uri(): `files` holds
  // the file arguments (none: the default files; one: a basename; two: both files), read now.
  Result<std::shared_ptr<const permissions::RoutingFiles>> bindFiles(const ScriptArgs& files,
                                                                     const char* fn,
                                                                     BindContext& bc) {
    const permissions::Config& c = service_.config();
    for (const ScriptArg& arg : files) {
      if (arg.kind == ScriptArg::Kind::kPvar || !arg.isConstant() || arg.text.empty()) {
        return bc.error(arg, Status::invalidArgument("file names must be constant strings"));
      }
    }
    std::string file = bc.pos().file;
    std::size_t slash = file.rfind('/');
    std::string dir = slash == std::string::npos ? "." : file.substr(0, slash);
    auto out = std::make_shared<permissions::RoutingFiles>();
    if (files.empty()) {
      out->allow_path = permissions::resolvePath(dir, c.default_allow_file);
      out->deny_path = permissions::resolvePath(dir, c.default_deny_file);
    } else if (files.size() == 1) {
      out->allow_path = permissions::resolvePath(dir, files[0].text + c.allow_suffix);
      out->deny_path = permissions::resolvePath(dir, files[0].text + c.deny_suffix);
    } else {
      out->allow_path = permissions::resolvePath(dir, files[0].text);
      out->deny_path = permissions::resolvePath(dir, files[1].text);
    }
    Result<std::optional<permissions::RouteRules>> allow =
        permissions::RouteRules::load(out->allow_path);
    if (!allow.isOk()) return bc.error(allow.status().message());
    Result<std::optional<permissions::RouteRules>> deny =
        permissions::RouteRules::load(out->deny_path);
    if (!deny.isOk()) return bc.error(deny.status().message());
    out->allow = std::move(allow.value());
    out->deny = std::move(deny.value());
    if (!out->allow.has_value() && !out->deny.has_value()) {
      // Named files that are both missing are a mistake; the defaults may be absent.
      if (!files.empty()) {
        return bc.error("neither " + out->allow_path + " nor " + out->deny_path + " exists");
      }
      SL_NOTICE("permissions: %s(): neither %s nor %s exists: everything is allowed", fn,
                out->allow_path.c_str(), out->deny_path.c_str());
    }
    return std::shared_ptr<const permissions::RoutingFiles>(std::move(out));
  }

  Result<BoundCallPtr> bindAllowRouting(const ScriptArgs& a, BindContext& bc) {
    Result<std::shared_ptr<const permissions::RoutingFiles>> files =
        bindFiles(a, "allow_routing", bc);
    if (!files.isOk()) return files.status();
    bool all_branches = service_.config().check_all_branches;
    return makeCall([files = std::move(files.value()), all_branches](MsgContext& ctx) {
      std::string_view from = fromUri(ctx);
      if (from.empty()) return Verdict::of(kNoMatch);
      if (files->decide(from, ctx.ruri()) < 0) return Verdict::of(kNoMatch);
      if (all_branches) {
        for (const Branch& b : ctx.branches) {
          if (files->decide(from, b.uri) < 0) return Verdict::of(kNoMatch);
        }
      }
      return Verdict::of(kMatch);
    });
  }

  // allow_register(): the rules' first list is matched against the AOR (the To URI), the
  // second against every Contact in its plain form, "sip:user@host" (as OpenSIPS: no
  // port, no parameters, sip: for sips: too); one Contact denied denies the REGISTER. A query (no
  // Contact) and "Contact: *" register nothing and pass.
  Result<BoundCallPtr> bindAllowRegister(const ScriptArgs& a, BindContext& bc) {
    Result<std::shared_ptr<const permissions::RoutingFiles>> files =
        bindFiles(a, "allow_register", bc);
    if (!files.isOk()) return files.status();
    return makeCall([files = std::move(files.value())](MsgContext& ctx) {
      SipMessage& msg = ctx.msg();
      if (msg.method() != Method::kRegister) {
        SL_ERR_RATELIMITED("permissions: allow_register() called for a %.*s",
                           SL_SV(msg.methodText()));
        return Verdict::of(kBadInput);
      }
      const NameAddr* to = msg.to();
      if (to == nullptr || to->uri_text.empty()) return Verdict::of(kNoMatch);
      const ContactList* contacts = msg.contacts();
      if (contacts == nullptr) {
        // No Contact header is a query; a malformed one is refused.
        return Verdict::of(msg.header(HeaderType::kContact) == nullptr ? kMatch : kNoMatch);
      }
      std::string plain;
      for (const Contact& c : contacts->items) {
        if (!c.addr.uri_ok) return Verdict::of(kNoMatch);
        plainUri(c.addr.uri, plain);
        if (files->decide(to->uri_text, plain) < 0) return Verdict::of(kNoMatch);
      }
      return Verdict::of(kMatch);
    });
  }

  // allow_uri(basename, uri): the From URI against the first list, `uri` (a string with
  // variables) against the second.
  Result<BoundCallPtr> bindAllowUri(const ScriptArgs& a, BindContext& bc) {
    Result<std::shared_ptr<const permissions::RoutingFiles>> files =
        bindFiles(ScriptArgs(a.begin(), a.begin() + 1), "allow_uri", bc);
    if (!files.isOk()) return files.status();
    Result<StrArg> uri = bc.strArg(a[1]);
    if (!uri.isOk()) return bc.error(a[1], uri.status());
    return makeCall(
        [files = std::move(files.value()), uri = std::move(uri.value())](MsgContext& ctx) {
          std::string_view from = fromUri(ctx);
          std::string scratch;
          std::string_view target = uri.eval(ctx, scratch);
          if (from.empty() || target.empty()) return Verdict::of(kNoMatch);
          return Verdict::of(files->decide(from, target) < 0 ? kNoMatch : kMatch);
        });
  }

  permissions::Service service_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("permissions", sipline::PermissionsModule)
