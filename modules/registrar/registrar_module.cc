// registrar: REGISTER processing and the location lookups of the routing script: save(),
// lookup(), registered(), is_registered(). Glue only: parameters, argument binding,
// statistics; the work is in save.cc (RFC 3261 §10.3) and lookup.cc, the bindings live in
// the usrloc service (modules/usrloc/api.h).
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "core/base/log.h"
#include "core/base/regex.h"
#include "core/module/module.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"
#include "modules/registrar/flags.h"
#include "modules/registrar/lookup.h"
#include "modules/registrar/save.h"
#include "modules/usrloc/api.h"

namespace sipline {
namespace {

using registrar::SaveReply;

constexpr std::uint32_t kLookupRoutes = kRequestRoute | kFailureRoute;
constexpr std::uint32_t kRegisteredRoutes =
    kRequestRoute | kFailureRoute | kBranchRoute | kOnReplyRoute | kLocalRoute;

// The table argument: a constant name that usrloc declares (its shm is made in its init).
struct TableArg {
  usrloc::Api* usrloc = nullptr;
  usrloc::Domain* domain = nullptr;
};

// An optional AOR argument: absent (the default place), or a string/pvar read per message.
struct AorArg {
  bool present = false;
  StrArg text;
  std::optional<std::string_view> eval(MsgContext& ctx, std::string& scratch) const {
    if (!present) return std::nullopt;
    return text.eval(ctx, scratch);
  }
};

std::int64_t unixNow() { return static_cast<std::int64_t>(std::time(nullptr)); }

class RegistrarModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("REGISTER processing and location lookups (RFC 3261 §10)");
    spec.description(
        "Makes sipline a registrar and location server. save() handles a REGISTER step by "
        "step as RFC 3261 §10.3 says: it adds, refreshes and removes the bindings of an "
        "address of record (AOR) and answers the phone. lookup() turns a request for one of "
        "our users into requests to the devices that user registered, best q first. "
        "registered() and is_registered() only ask whether an AOR has bindings.\n\n"
        "The bindings live in the usrloc module, which must be loaded too; its use_domain "
        "parameter decides whether an AOR is user@domain or the user alone.");
    spec.dependsOn("usrloc");
    spec.param("default_expires", &default_expires_, IntRange{1, 0xffffffffLL},
               "seconds a binding lasts when the REGISTER gives neither an expires Contact "
               "parameter nor an Expires header");
    spec.param("min_expires", &min_expires_, IntRange{0, 0xffffffffLL},
               "shortest binding accepted (0: no minimum); shorter ones get 423 with Min-Expires "
               "(or are raised, with min_expires_mode = \"adjust\")");
    spec.param("min_expires_mode", &min_expires_mode_, OneOf{{"reject", "adjust"}},
               "\"reject\": 423 Interval Too Brief below min_expires (RFC 3261 §10.3); "
               "\"adjust\": raise the interval to min_expires, as OpenSIPS does");
    spec.param("max_expires", &max_expires_, IntRange{0, 0xffffffffLL},
               "longest binding granted (0: no maximum); longer requests are cut to it");
    spec.param("max_contacts", &max_contacts_, IntRange{0, 1000000},
               "bindings one AOR may have (0: unlimited); a REGISTER adding more gets 503, or "
               "replaces the oldest with save()'s force-registration flag");
    spec.param("default_q", &default_q_, IntRange{-1, 1000},
               "q (thousandths) of a Contact without one; -1: none (ranks as 1.0 in lookup)");
    spec.param("append_branches", &append_branches_,
               "lookup() adds a branch for every binding after the best one (no-branches flag "
               "turns it off per call)");
    spec.param("case_sensitive", &case_sensitive_,
               "compare the user part of AORs case-sensitively (RFC 3261); false lower-cases it");
    spec.param("realm_prefix", &realm_prefix_,
               "prefix stripped from an AOR's domain (\"sip.\": sip.example.com is example.com)");
    spec.param("received_param", &received_param_,
               "name of the Contact parameter showing the source address in the 200 (\"\": "
               "leave it out)");
    spec.param("store_received", &store_received_, OneOf{{"off", "diff-ip", "diff-ip-port"}},
               "when save() keeps the address a REGISTER came from, for lookup() to send to "
               "instead of the Contact (NAT): \"diff-ip\" when the Contact's host is not the "
               "source IP, \"diff-ip-port\" also when its port or transport differ, \"off\"");
    spec.param("retry_after", &retry_after_, IntRange{0, 86400},
               "seconds in a Retry-After header of save()'s 5xx replies (0: none)");
    spec.param("max_contact_len", &max_contact_len_, IntRange{16, 8192},
               "longest Contact URI accepted (400 above)");
    spec.param("max_aor_len", &max_aor_len_, IntRange{16, 8192},
               "longest address-of-record accepted (400 above)");

    spec.command(
        "save", {ArgSpec::str("table"), ArgSpec::str("flags").opt(), ArgSpec::str("aor").opt()},
        kRequestRoute, [this](const ScriptArgs& a, BindContext& bc) { return bindSave(a, bc); },
        "save(table[, flags[, aor]]): stores the REGISTER's bindings (RFC 3261 §10.3) and "
        "answers it; 1 ok, -1 bad request, -2 interval too brief, -3 too many contacts, "
        "-4 stale CSeq, -5 internal error");
    spec.command(
        "lookup", {ArgSpec::str("table"), ArgSpec::str("flags").opt(), ArgSpec::str("aor").opt()},
        kLookupRoutes, [this](const ScriptArgs& a, BindContext& bc) { return bindLookup(a, bc); },
        "lookup(table[, flags[, aor]]): sends the request to the AOR's bindings; 1 found, "
        "-1 not found, -2 method not allowed, -3 error");
    spec.command(
        "registered", {ArgSpec::str("table"), ArgSpec::str("aor").opt()}, kRegisteredRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindRegistered(a, bc, false); },
        "registered(table[, aor]): true when the AOR (default: the request-URI's) has a binding");
    spec.command(
        "is_registered", {ArgSpec::str("table"), ArgSpec::str("aor").opt()}, kRegisteredRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindRegistered(a, bc, true); },
        "is_registered(table[, aor]): true when the AOR (default: To of a REGISTER, else "
        "From) has a binding");

    spec.stat("accepted_regs", &accepted_, "REGISTERs answered 200 by save()");
    spec.stat("rejected_regs", &rejected_, "REGISTERs save() refused");
    spec.stat("default_expires", &gauge_default_expires_, "the default_expires parameter",
              StatKind::kGauge);
    spec.stat("max_expires", &gauge_max_expires_, "the max_expires parameter", StatKind::kGauge);
    spec.stat("max_contacts", &gauge_max_contacts_, "the max_contacts parameter", StatKind::kGauge);
  }

  Status init(InitContext&) override {
    Status st = registrar::checkExpiresLimits(default_expires_, min_expires_, max_expires_);
    if (!st.isOk()) return st.withPrefix("registrar");
    gauge_default_expires_.set(static_cast<std::uint64_t>(default_expires_));
    gauge_max_expires_.set(static_cast<std::uint64_t>(max_expires_));
    gauge_max_contacts_.set(static_cast<std::uint64_t>(max_contacts_));
    return Status::ok();
  }

 private:
  Result<TableArg> bindTable(const ScriptArg& arg, BindContext& bc) {
    if (arg.kind != ScriptArg::Kind::kString || !arg.isConstant() || arg.text.empty()) {
      return bc.error(arg, Status::invalidArgument("the table must be a constant name"));
    }
    if (bc.services() == nullptr) {
      return bc.error("registrar needs the usrloc module (load it before registrar)");
    }
    Result<usrloc::Api*> api = bc.services()->require<usrloc::Api>("usrloc", "registrar");
    if (!api.isOk()) return bc.error(arg, api.status());
    Result<usrloc::Domain*> domain = api.value()->domain(arg.text);
    if (!domain.isOk()) return bc.error(arg, domain.status());
    return TableArg{api.value(), domain.value()};
  }

  // flags must be a constant: they are checked here, once.
  static Result<std::string> constantFlags(const ScriptArgs& a, std::size_t i, BindContext& bc) {
    if (a.size() <= i) return std::string();
    if (a[i].kind != ScriptArg::Kind::kString || !a[i].isConstant()) {
      return bc.error(a[i], Status::invalidArgument("the flags must be a constant string"));
    }
    return a[i].text;
  }

  static Result<AorArg> bindAor(const ScriptArgs& a, std::size_t i, BindContext& bc) {
    AorArg aor;
    if (a.size() <= i) return aor;
    if (a[i].kind == ScriptArg::Kind::kString && a[i].isConstant()) {
      if (a[i].text.empty()) return aor;  // "" is the default place, as OpenSIPS's empty arg
      std::string canonical;
      registrar::AorOptions probe;
      probe.max_len = 1 << 16;
      registrar::AorError e = registrar::aorFromText(a[i].text, probe, canonical);
      if (e != registrar::AorError::kOk) {
        return bc.error(a[i], Status::invalidArgument(registrar::aorErrorText(e)));
      }
    }
    Result<StrArg> text = bc.strArg(a[i]);
    if (!text.isOk()) return text.status();
    aor.present = true;
    aor.text = std::move(text.value());
    return aor;
  }

  registrar::AorOptions aorOptions(const usrloc::Api& api) const {
    registrar::AorOptions o;
    o.use_domain = api.useDomain();
    o.case_sensitive = case_sensitive_;
    o.realm_prefix = realm_prefix_;
    o.max_len = static_cast<std::size_t>(max_aor_len_);
    return o;
  }

  registrar::SaveOptions saveOptions(const registrar::SaveFlags& f, const usrloc::Api& api) const {
    registrar::SaveOptions o;
    registrar::SaveLimits& l = o.limits;
    l.default_expires = default_expires_;
    l.min_expires = f.min_expires.value_or(min_expires_);
    l.max_expires = f.max_expires.value_or(max_expires_);
    l.max_contacts = f.max_contacts.value_or(max_contacts_);
    l.reject_too_brief = min_expires_mode_ == "reject";
    l.force = f.force;
    l.default_q = static_cast<std::int32_t>(default_q_);
    l.max_contact_len = static_cast<std::size_t>(max_contact_len_);
    l.path_mode = f.path_mode;
    l.path_received = f.path_received;
    l.received_mode = store_received_ == "off"       ? registrar::ReceivedMode::kOff
                      : store_received_ == "diff-ip" ? registrar::ReceivedMode::kDiffIp
                                                     : registrar::ReceivedMode::kDiffIpPort;
    l.aor = aorOptions(api);
    o.only_request_contacts = f.only_request_contacts;
    o.memory_only = f.memory_only;
    o.received_param = received_param_;
    o.retry_after = retry_after_;
    return o;
  }

  Result<BoundCallPtr> bindSave(const ScriptArgs& a, BindContext& bc) {
    Result<TableArg> table = bindTable(a[0], bc);
    if (!table.isOk()) return table.status();
    Result<std::string> text = constantFlags(a, 1, bc);
    if (!text.isOk()) return text.status();
    Result<registrar::SaveFlags> flags = registrar::parseSaveFlags(text.value());
    if (!flags.isOk()) return bc.error(a[1], flags.status());
    // The expires limits of this call (its min-expires/max-expires flags, else the
    // parameters) against each other and default_expires; here so that `sipline -c` sees it
    // (init() checks the parameters again for a script without save()).
    Status limits = registrar::checkExpiresLimits(default_expires_,
                                                  flags.value().min_expires.value_or(min_expires_),
                                                  flags.value().max_expires.value_or(max_expires_));
    if (!limits.isOk()) {
      if (flags.value().min_expires.has_value() || flags.value().max_expires.has_value()) {
        return bc.error(a[1], limits.withPrefix("save() flags"));
      }
      return bc.error("registrar parameters: " + limits.message());
    }
    if (flags.value().memory_only && !table.value().usrloc->memoryOnlyContacts()) {
      return bc.error(a[1], Status::invalidArgument(
                                "memory-only needs a shared-memory location table, and usrloc's "
                                "db_mode \"db-only\" has none: drop the flag or use "
                                "write-through/write-back"));
    }
    Result<AorArg> aor = bindAor(a, 2, bc);
    if (!aor.isOk()) return aor.status();
    return makeCall([this, table = table.value(), flags = flags.value(),
                     aor = std::move(aor.value()),
                     site = ScriptErrorSite(bc.pos(), "save")](MsgContext& ctx) {
      return Verdict::of(save(ctx, table, flags, aor, site));
    });
  }

  int save(MsgContext& ctx, const TableArg& table, const registrar::SaveFlags& flags,
           const AorArg& aor, const ScriptErrorSite& site) {
    std::string scratch;
    registrar::SaveOptions options = saveOptions(flags, *table.usrloc);
    SaveReply reply = registrar::processRegister(ctx, *table.usrloc, table.domain, options,
                                                 aor.eval(ctx, scratch), unixNow());
    if (reply.code == 0) {
      site.report(ctx, "%s", reply.error.c_str());
      return reply.rc;
    }
    if (reply.code == 200) {
      accepted_.inc();
    } else {
      rejected_.inc();
      if (reply.code >= 500) {
        site.report(ctx, "%d %s: %s", reply.code, reply.reason.c_str(), reply.error.c_str());
      } else {
        SL_DBG("registrar: %d %s for Call-ID %.*s: %s", reply.code, reply.reason.c_str(),
               SL_SV(ctx.msg().callId()), reply.error.c_str());
      }
    }
    if (!flags.no_reply && !registrar::sendSaveReply(ctx, reply)) {
      site.report(ctx, "the %d reply could not be sent", reply.code);
    }
    return reply.rc;
  }

  Result<BoundCallPtr> bindLookup(const ScriptArgs& a, BindContext& bc) {
    Result<TableArg> table = bindTable(a[0], bc);
    if (!table.isOk()) return table.status();
    Result<std::string> text = constantFlags(a, 1, bc);
    if (!text.isOk()) return text.status();
    Result<registrar::LookupFlags> flags = registrar::parseLookupFlags(text.value());
    if (!flags.isOk()) return bc.error(a[1], flags.status());
    std::shared_ptr<Regex> ua_filter;
    if (!flags.value().ua_regex.empty()) {
      ua_filter = std::make_shared<Regex>();
      Regex::Options ro;
      ro.icase = flags.value().ua_case_insensitive;
      Status st = ua_filter->compile(flags.value().ua_regex, ro);
      if (!st.isOk()) return bc.error(a[1], st);
    }
    Result<AorArg> aor = bindAor(a, 2, bc);
    if (!aor.isOk()) return aor.status();
    return makeCall([this, table = table.value(), flags = flags.value(), ua_filter,
                     aor = std::move(aor.value())](MsgContext& ctx) {
      registrar::LookupOptions o;
      o.flags = flags;
      o.ua_filter = ua_filter.get();
      o.append_branches = append_branches_;
      o.aor = aorOptions(*table.usrloc);
      std::string scratch;
      return Verdict::of(registrar::lookupContacts(
          ctx, *table.usrloc, table.domain, o, aor.eval(ctx, scratch), unixNow(), &listeners()));
    });
  }

  Result<BoundCallPtr> bindRegistered(const ScriptArgs& a, BindContext& bc, bool is_registered) {
    Result<TableArg> table = bindTable(a[0], bc);
    if (!table.isOk()) return table.status();
    Result<AorArg> aor = bindAor(a, 1, bc);
    if (!aor.isOk()) return aor.status();
    return makeCall([this, table = table.value(), aor = std::move(aor.value()),
                     is_registered](MsgContext& ctx) {
      std::string scratch;
      registrar::AorOptions o = aorOptions(*table.usrloc);
      std::optional<std::string_view> text = aor.eval(ctx, scratch);
      return Verdict::of(is_registered
                             ? registrar::isRegisteredAor(ctx, *table.usrloc, table.domain, o, text)
                             : registrar::registeredAor(ctx, *table.usrloc, table.domain, o, text));
    });
  }

  std::int64_t default_expires_ = 3600;
  std::int64_t min_expires_ = 60;
  std::string min_expires_mode_ = "reject";
  std::int64_t max_expires_ = 0;
  std::int64_t max_contacts_ = 0;
  std::int64_t default_q_ = -1;
  bool append_branches_ = true;
  bool case_sensitive_ = true;
  std::string realm_prefix_;
  std::string received_param_ = "received";
  std::string store_received_ = "diff-ip";
  std::int64_t retry_after_ = 0;
  std::int64_t max_contact_len_ = 512;
  std::int64_t max_aor_len_ = 256;
  StatCounter accepted_, rejected_;
  StatCounter gauge_default_expires_, gauge_max_expires_, gauge_max_contacts_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("registrar", sipline::RegistrarModule)
