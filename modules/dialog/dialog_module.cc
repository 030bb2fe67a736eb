// dialog: dialogs in shared memory for the routing script (create_dialog(), profiles, values,
// timeouts with BYEs, $DLG_* pseudo-variables), the MI commands and the "dialog" service acc
// uses for CDRs. Glue only: dialog.h does the work, dlg_store.h the persistence, dlg_mi.h the
// MI output.
#include <memory>
#include <string>

#include "core/module/module.h"
#include "core/script/pvar.h"
#include "core/sip/msg_context.h"
#include "modules/dialog/dialog.h"
#include "modules/dialog/dlg_mi.h"
#include "modules/dialog/dlg_store.h"
#include "modules/rr/api.h"
#include "modules/tm/api.h"

namespace sipline {
namespace {

using dialog::Service;
using script::PvarRef;
using script::Value;

// Pseudo-variable getters are plain functions: they reach the module's service through this.
Service* g_service = nullptr;

Value getTimeout(MsgContext& ctx, const PvarRef&) {
  return g_service != nullptr && ctx.dialog != 0 ? Value::integer(g_service->timeoutOf(ctx))
                                                 : Value::null();
}
Status setTimeout(MsgContext& ctx, const PvarRef&, const Value& v) {
  std::int64_t s = 0;
  if (!v.toInt(s) || s <= 0 || s > dialog::kMaxTimeoutS) {
    return Status::invalidArgument("$DLG_timeout: seconds from 1 to " +
                                   std::to_string(dialog::kMaxTimeoutS) + " expected");
  }
  if (g_service == nullptr || !g_service->setTimeout(ctx, s)) {
    return Status::failedPrecondition("$DLG_timeout: the message has no dialog");
  }
  return Status::ok();
}
bool currentDialog(MsgContext& ctx, dialog::DialogInfo& info) {
  return g_service != nullptr && ctx.dialog != 0 && g_service->table().get(ctx.dialog, info);
}
Value getStatus(MsgContext& ctx, const PvarRef&) {
  dialog::DialogInfo info;
  if (!currentDialog(ctx, info)) return ctx.dialog != 0 ? Value::integer(4) : Value::null();
  return Value::integer(static_cast<int>(info.state));
}
Value getLifetime(MsgContext& ctx, const PvarRef&) {
  dialog::DialogInfo info;
  if (!currentDialog(ctx, info)) return Value::null();
  if (info.answered_ms == 0) return Value::integer(0);
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return Value::integer(static_cast<std::int64_t>(ts.tv_sec) - info.answered_ms / 1000);
}
Value getDid(MsgContext& ctx, const PvarRef&) {
  return ctx.dialog != 0 ? Value::owned(std::to_string(ctx.dialog)) : Value::null();
}
Value getDlgVal(MsgContext& ctx, const PvarRef& ref) {
  if (g_service == nullptr) return Value::null();
  std::optional<std::string> v = g_service->fetchValue(ctx, ref.arg);
  return v ? Value::owned(std::move(*v)) : Value::null();
}
Status setDlgVal(MsgContext& ctx, const PvarRef& ref, const Value& v) {
  if (g_service == nullptr ||
      !g_service->storeValue(ctx, ref.arg, v.isNull() ? "" : v.toString())) {
    return Status::failedPrecondition("$dlg_val: the message has no dialog");
  }
  return Status::ok();
}

void onLooseRoute(MsgContext& ctx, std::string_view route_params) {
  if (g_service != nullptr) g_service->matchDialog(ctx, route_params);
}

// An output argument ($var(n)): a writable pseudo-variable.
Result<std::shared_ptr<PvarRef>> bindOut(const ScriptArg& a, BindContext& bc) {
  if (a.kind != ScriptArg::Kind::kPvar) {
    return bc.error(a, Status::invalidArgument("expected a writable variable such as $var(n)"));
  }
  Result<PvarRef> ref = script::resolvePvar(a.text);
  if (!ref.isOk()) return bc.error(a, ref.status());
  if (ref.value().spec->set == nullptr) {
    return bc.error(a, Status::invalidArgument("$" + a.text + " is read-only"));
  }
  return std::make_shared<PvarRef>(std::move(ref.value()));
}

constexpr std::uint32_t kDialogRoutes = kRequestRoute | kBranchRoute | kFailureRoute;

class DialogModule : public Module {
 public:
  DialogModule() : store_(service_) {}

  void describe(ModuleSpec& spec) override {
    spec.summary("dialogs: calls followed from INVITE to BYE, profiles, timeouts");
    spec.description(
        "Keeps every call the script asks for (create_dialog() on the initial INVITE) in a "
        "shared-memory table with one lock per bucket, follows its INVITE through tm "
        "(unconfirmed, early on a 1xx with a To tag, confirmed on the 2xx, gone on a final "
        ">= 300) and matches its in-dialog requests: loose_route() of rr does it through the "
        "did parameter of our Record-Route, match_dialog() by the same or by Call-ID and tags. "
        "A BYE ends the dialog.\n\n"
        "Each dialog has a timeout (default_timeout, $DLG_timeout); with create_dialog(\"B\") "
        "the server sends BYE to both sides when it expires. Profiles (set_dlg_profile(), "
        "get_profile_size()) count calls, e.g. to limit concurrent calls per caller; dialog "
        "values ($dlg_val) keep data for the whole call. With db_mode write-back a process "
        "of the module writes the table to PostgreSQL, and dialogs survive a restart. acc "
        "uses the dialog service for CDRs.");
    dialog::Config& c = service_.config();
    spec.dependsOn("tm");
    spec.dependsOn("rr", Dependency::kOptional);
    spec.param("hash_size", &c.hash_size, IntRange{1, 1 << 24},
               "buckets of the dialog table, a power of two");
    spec.param("default_timeout", &c.default_timeout_s, IntRange{1, 86400 * 7},
               "seconds a confirmed dialog lives without in-dialog requests");
    spec.param("early_timeout", &c.early_timeout_s, IntRange{1, 86400},
               "seconds an unanswered dialog is kept even if its INVITE got no final reply");
    spec.param("rr_param", &c.rr_param, "name of the Record-Route parameter holding the id");
    spec.param("profiles_with_value", &c.profiles_with_value,
               "profiles whose members carry a value, \"a;b\"");
    spec.param("profiles_no_value", &c.profiles_no_value, "profiles without value, \"a;b\"");
    spec.param("db_url", &c.db_url, "postgres://user:pass@host:port/db for db_mode write-back");
    spec.param("db_mode", &c.db_mode, OneOf{{"none", "write-back"}},
               "none | write-back: dialogs written to the DB and reloaded at start");
    spec.param("db_flush_interval", &c.db_flush_interval_s, IntRange{1, 3600},
               "seconds between writes of changed dialogs (write-back)");
    spec.param("table", &c.table, "DB table of the dialogs");

    dialog::Counters& n = service_.counters();
    spec.stat("active_dialogs", &n.active, "answered dialogs not ended", StatKind::kGauge);
    spec.stat("early_dialogs", &n.early, "dialogs not answered yet", StatKind::kGauge);
    spec.stat("processed_dialogs", &n.processed, "dialogs created");
    spec.stat("expired_dialogs", &n.expired, "dialogs ended by their timeout");
    spec.stat("failed_dialogs", &n.failed, "dialogs that ended without being answered");
    spec.stat("no_memory", &n.no_memory, "dialogs or dialog data refused: shared memory full");
    spec.stat("db_errors", &n.db_errors, "failed writes to the DB (retried)");
    spec.stat("late_answers", &n.late_answers,
              "2xx relayed for a dialog that had ended unanswered (not followed, not billed)");

    spec.command(
        "create_dialog", {ArgSpec::str("flags").opt()}, kRequestRoute,
        [this](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          dialog::CreateFlags flags;
          if (!a.empty()) {
            if (!a[0].isConstant()) {
              return bc.error(a[0], Status::invalidArgument("the flags must be a constant"));
            }
            Result<dialog::CreateFlags> f = dialog::parseCreateFlags(a[0].text);
            if (!f.isOk()) return bc.error(a[0], f.status());
            flags = f.value();
          }
          return makeCall([this, flags](MsgContext& ctx) {
            return Verdict::of(service_.createDialog(ctx, flags));
          });
        },
        "create_dialog([flags]): makes a dialog of an initial INVITE and follows it; flags "
        "\"B\" (or \"bye-on-timeout\"): BYE to both sides on timeout. False for other requests "
        "or when shared memory is full");
    spec.command(
        "match_dialog", {}, kRequestRoute,
        [this](const ScriptArgs&, BindContext&) -> Result<BoundCallPtr> {
          return makeCall([this](MsgContext& ctx) {
            return Verdict::of(service_.matchDialog(ctx, didParamsOf(ctx)));
          });
        },
        "match_dialog(): finds the dialog of an in-dialog request (loose_route() does it "
        "already); a BYE ends it. False when none matches");
    profileCommand(spec, "set_dlg_profile",
                   "set_dlg_profile(name[, value]): adds the dialog to a profile",
                   [this](MsgContext& ctx, const std::string& n, const std::string& v, bool) {
                     return service_.setProfile(ctx, n, v);
                   });
    profileCommand(spec, "unset_dlg_profile",
                   "unset_dlg_profile(name[, value]): removes the dialog from a profile",
                   [this](MsgContext& ctx, const std::string& n, const std::string& v, bool) {
                     return service_.unsetProfile(ctx, n, v);
                   });
    profileCommand(spec, "is_in_profile",
                   "is_in_profile(name[, value]): true when the dialog is in the profile",
                   [this](MsgContext& ctx, const std::string& n, const std::string& v, bool any) {
                     return service_.isInProfile(ctx, n, v, any);
                   });
    spec.command(
        "get_profile_size",
        {ArgSpec::str("profile"), ArgSpec::str("value"), ArgSpec::str("result").opt()}, kAnyRoute,
        [this](const ScriptArgs& a, BindContext& bc) { return bindSize(a, bc); },
        "get_profile_size(profile, value[, result]): get_profile_size(name, $var(n)) or "
        "get_profile_size(name, value, $var(n)): stores how many dialogs are in the profile "
        "(with that value) in the variable");
    spec.command(
        "store_dlg_value", {ArgSpec::str("name"), ArgSpec::str("value")}, kDialogRoutes,
        [this](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<StrArg> name = bc.strArg(a[0]);
          if (!name.isOk()) return name.status();
          Result<StrArg> value = bc.strArg(a[1]);
          if (!value.isOk()) return value.status();
          return makeCall([this, name = name.value(), value = value.value()](MsgContext& ctx) {
            std::string s1;
            std::string s2;
            std::string n(name.eval(ctx, s1));
            std::string v(value.eval(ctx, s2));
            return service_.storeValue(ctx, n, v) ? Verdict::ok() : Verdict::fail();
          });
        },
        "store_dlg_value(name, value): keeps a value with the dialog");
    spec.command(
        "fetch_dlg_value", {ArgSpec::str("name"), ArgSpec::str("result")}, kAnyRoute,
        [this](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<StrArg> name = bc.strArg(a[0]);
          if (!name.isOk()) return name.status();
          Result<std::shared_ptr<PvarRef>> out = bindOut(a[1], bc);
          if (!out.isOk()) return out.status();
          return makeCall([this, name = name.value(), out = out.value()](MsgContext& ctx) {
            std::string scratch;
            std::optional<std::string> v =
                service_.fetchValue(ctx, std::string(name.eval(ctx, scratch)));
            if (!v) return Verdict::fail();
            Status st = out->spec->set(ctx, *out, Value::owned(std::move(*v)));
            return st.isOk() ? Verdict::ok() : Verdict::fail();
          });
        },
        "fetch_dlg_value(name, result): stores the dialog's value in the variable (a $var); "
        "false when unset");

    spec.pvar({"DLG_timeout", &getTimeout, &setTimeout, 0,
               "seconds until the dialog times out; write: new timeout in seconds from now"});
    spec.pvar({"DLG_status", &getStatus, nullptr, 0,
               "1 unconfirmed, 2 early, 3 confirmed, 4 ended; null without dialog"});
    spec.pvar({"DLG_lifetime", &getLifetime, nullptr, 0, "seconds since the call was answered"});
    spec.pvar({"DLG_did", &getDid, nullptr, 0, "the dialog's id, as dlg_list shows it"});
    spec.pvar({"dlg_val", &getDlgVal, &setDlgVal, script::kPvarNeedsArg,
               "a value kept with the dialog, for its whole life"});

    spec.mi("dlg_list", {MiParamSpec::str("callid", "only the dialogs of this Call-ID").opt()},
            "every dialog with its state, tags, times, timeout and profiles",
            [this](const MiParams& p) { return dialog::miList(service_, p); });
    spec.mi("dlg_end_dlg", {MiParamSpec::any("id", "the dialog id from dlg_list")},
            "ends an answered call: BYE to both sides",
            [this](const MiParams& p) { return dialog::miEnd(service_, p); });
    spec.mi("profile_get_size",
            {MiParamSpec::str("profile", "profile name"),
             MiParamSpec::str("value", "only members with this value").opt()},
            "how many dialogs are in a profile",
            [this](const MiParams& p) { return dialog::miProfileSize(service_, p); });

    spec.provide<dialog::Api>("dialog", &service_);
    // Timeouts are kept in ms: a tick every kTimerTickMs ends a dialog at most that late.
    spec.timer("dialog-timeouts", dialog::kTimerTickMs, [this] { service_.onTimerTick(); });
    // Stops after the workers and the timer process: its last flush sees their last changes.
    spec.process(
        dialog::kWriterName, [this] { return store_.run(); },
        [this] { return service_.persists(); }, true);
  }

  Status init(InitContext& ctx) override {
    Result<tm::Api*> tm = ctx.require<tm::Api>("tm", "dialog");
    if (!tm.isOk()) return tm.status();
    std::int64_t size = service_.config().hash_size;
    if ((size & (size - 1)) != 0) {
      return Status::invalidArgument("dialog: hash_size " + std::to_string(size) +
                                     " is not a power of two");
    }
    Status st = service_.init(ctx.segment(), tm.value());
    if (!st.isOk()) return st;
    g_service = &service_;
    Result<rr::Api*> rr = ctx.require<rr::Api>("rr", "dialog");
    if (rr.isOk()) rr.value()->onLooseRoute(&onLooseRoute);
    if (service_.persists()) return store_.load();
    return Status::ok();
  }

  Status childInit(const ProcessInfo& proc) override {
    if (!service_.persists()) return Status::ok();
    return store_.childInit(proc);
  }

  void destroy() noexcept override {
    if (service_.persists()) {
      store_.shutdownFlush();
    } else {
      service_.endAllAtShutdown();
    }
  }

 private:
  using ProfileFn =
      std::function<bool(MsgContext&, const std::string&, const std::string&, bool any)>;

  // Profile commands share their binding: a declared profile name and an optional value.
  void profileCommand(ModuleSpec& spec, const char* name, const char* help, ProfileFn fn) {
    spec.command(
        name, {ArgSpec::str("profile"), ArgSpec::str("value").opt()}, kDialogRoutes,
        [this, fn](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          if (!a[0].isConstant()) {
            return bc.error(a[0], Status::invalidArgument("the profile name must be a constant"));
          }
          bool has_value = false;
          Status st = service_.checkProfile(a[0].text, a.size() > 1, has_value);
          if (!st.isOk()) return bc.error(a[0], st);
          StrArg value;
          bool given = a.size() > 1;
          if (given) {
            Result<StrArg> v = bc.strArg(a[1]);
            if (!v.isOk()) return v.status();
            value = v.value();
          }
          return makeCall([fn, profile = a[0].text, value, given](MsgContext& ctx) {
            std::string scratch;
            std::string v = given ? std::string(value.eval(ctx, scratch)) : std::string();
            return fn(ctx, profile, v, !given) ? Verdict::ok() : Verdict::fail();
          });
        },
        help);
  }

  Result<BoundCallPtr> bindSize(const ScriptArgs& a, BindContext& bc) {
    if (!a[0].isConstant()) {
      return bc.error(a[0], Status::invalidArgument("the profile name must be a constant"));
    }
    bool given = a.size() > 2;
    bool has_value = false;
    Status st = service_.checkProfile(a[0].text, given, has_value);
    if (!st.isOk()) return bc.error(a[0], st);
    StrArg value;
    if (given) {
      Result<StrArg> v = bc.strArg(a[1]);
      if (!v.isOk()) return v.status();
      value = v.value();
    }
    Result<std::shared_ptr<PvarRef>> out = bindOut(a[given ? 2 : 1], bc);
    if (!out.isOk()) return out.status();
    return makeCall([this, profile = a[0].text, value, given, out = out.value()](MsgContext& ctx) {
      std::string scratch;
      std::string v = given ? std::string(value.eval(ctx, scratch)) : std::string();
      std::int64_t n = service_.profileSize(profile, v, !given);
      Status st = out->spec->set(ctx, *out, Value::integer(n));
      return st.isOk() ? Verdict::ok() : Verdict::fail();
    });
  }

  // match_dialog() without loose_route(): the did of a Route that is still there.
  static std::string_view didParamsOf(MsgContext& ctx) {
    const std::vector<NameAddr>* routes = ctx.msg().routes();
    if (routes == nullptr || routes->empty()) return {};
    return routes->front().uri_text;
  }

  Service service_;
  dialog::Store store_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("dialog", sipline::DialogModule)
