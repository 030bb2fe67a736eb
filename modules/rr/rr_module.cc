// rr: Record-Route and loose routing for the routing script: record_route(),
// record_route_preset(), add_rr_param(), loose_route(), check_route_param(), is_direction().
// Glue only: the Record-Route header is built by the relay (core/sip/record_route.h), loose
// routing is in loose_route.cc and the route parameters in route_params.cc. The "rr" service
// (api.h) lets dialog see the requests loose_route() routed.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/regex.h"
#include "core/base/strings.h"
#include "core/module/module.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"
#include "core/sip/record_route.h"
#include "core/transport/listener.h"
#include "modules/rr/api.h"
#include "modules/rr/loose_route.h"
#include "modules/rr/route_params.h"

namespace sipline {
namespace {

constexpr std::uint32_t kRecordRoutes = kRequestRoute | kBranchRoute | kFailureRoute;

// A Record-Route params argument: checked at load when constant, per message otherwise.
class ParamsArg {
 public:
  static Result<ParamsArg> bind(const ScriptArg& arg, BindContext& bc) {
    Result<StrArg> text = bc.strArg(arg);
    if (!text.isOk()) return text.status();
    ParamsArg p;
    if (text.value().isConstant()) {
      Result<std::string> checked = recordRouteParams(text.value().constant());
      if (!checked.isOk()) return bc.error(arg, checked.status());
      p.constant_ = std::move(checked.value());
    } else {
      p.dynamic_ = std::move(text.value());
      p.is_dynamic_ = true;
    }
    return p;
  }
  // The params with a leading ';' ("" when none); false (reported) when a value read per
  // message is not a params list.
  bool eval(MsgContext& ctx, const ScriptErrorSite& site, std::string& out) const {
    if (!is_dynamic_) {
      out = constant_;
      return true;
    }
    std::string scratch;
    Result<std::string> checked = recordRouteParams(dynamic_.eval(ctx, scratch));
    if (!checked.isOk()) {
      site.report(ctx, "%s", checked.status().message().c_str());
      return false;
    }
    out = std::move(checked.value());
    return true;
  }

 private:
  std::string constant_;
  StrArg dynamic_;
  bool is_dynamic_ = false;
};

class RrModule : public Module, public rr::Api {
 public:
  void onLooseRoute(rr::LooseRouteCallback cb) override {
    if (cb != nullptr) loose_route_callbacks_.push_back(cb);
  }

  void describe(ModuleSpec& spec) override {
    spec.summary("Record-Route and loose routing");
    spec.description(
        "Keeps the proxy in the path of a dialog. On the initial request record_route() asks "
        "for our Record-Route (RFC 3261 §16.6), which is written when the request is relayed "
        "and the outgoing socket is known (two headers when the request changes socket). "
        "In-dialog requests carry it back as Route, and loose_route() routes them by it "
        "(§16.4, §16.12).\n\n"
        "Route parameters carry per-dialog state: the From tag of the initial request (ftag, "
        "read by is_direction()) and whatever the script adds with add_rr_param() (read by "
        "check_route_param()).");
    spec.provide<rr::Api>("rr", this);
    spec.param("append_fromtag", &append_fromtag_,
               "add ;ftag=<From tag> to our Record-Route URI (is_direction() needs it)");
    spec.command(
        "record_route", {ArgSpec::str("params").opt()}, kRecordRoutes,
        [this](const ScriptArgs& a, BindContext& bc) { return bindRecordRoute(a, bc); },
        "record_route([params]): adds our Record-Route (two when the request changes socket) "
        "as the request is relayed; false when already asked for this request");
    spec.command(
        "record_route_preset", {ArgSpec::str("address"), ArgSpec::str("params").opt()},
        kRecordRoutes, [this](const ScriptArgs& a, BindContext& bc) { return bindPreset(a, bc); },
        "record_route_preset(\"host[:port]\"[, params]): adds a Record-Route with that "
        "address instead of the socket's");
    spec.command(
        "add_rr_param", {ArgSpec::str("params")}, kRecordRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<ParamsArg> params = ParamsArg::bind(a[0], bc);
          if (!params.isOk()) return params.status();
          return makeCall([params = std::move(params.value()),
                           site = ScriptErrorSite(bc.pos(), "add_rr_param")](MsgContext& ctx) {
            std::string text;
            if (!params.eval(ctx, site, text)) return Verdict::fail();
            addRecordRouteParams(ctx, text);
            return Verdict::ok();
          });
        },
        "add_rr_param(params): adds URI params to our Record-Route, before or after "
        "record_route()");
    spec.command(
        "loose_route", {}, kRequestRoute,
        [this](const ScriptArgs&, BindContext& bc) -> Result<BoundCallPtr> {
          return makeCall([this, site = ScriptErrorSite(bc.pos(), "loose_route")](MsgContext& ctx) {
            if (!ctx.msg().isRequest()) return Verdict::fail();
            // Read before looseRoute() edits the request: the params of our own Route.
            std::string_view params;
            bool ours =
                !loose_route_callbacks_.empty() && ourRouteParams(ctx.msg(), listeners(), params);
            LooseRouteOutcome out = looseRoute(ctx, listeners());
            if (out.result == LooseRouteResult::kRouted) {
              for (rr::LooseRouteCallback cb : loose_route_callbacks_) {
                cb(ctx, ours ? params : std::string_view());
              }
            }
            if (out.result == LooseRouteResult::kMalformed) {
              site.report(ctx, "%s; not routed by Route", out.problem);
            }
            return out.result == LooseRouteResult::kRouted ? Verdict::ok() : Verdict::fail();
          });
        },
        "loose_route(): routes a request by its Route headers (ours removed, $du set); true "
        "when it did, false without Route or for a preloaded Route to us only");
    spec.command(
        "check_route_param", {ArgSpec::str("regex")}, kRecordRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          if (a[0].kind != ScriptArg::Kind::kString || !a[0].isConstant()) {
            return bc.error(a[0], Status::invalidArgument("the regex must be a constant"));
          }
          auto re = std::make_shared<Regex>();
          Status st = re->compile(a[0].text);
          if (!st.isOk()) return bc.error(a[0], st);
          return makeCall([re](MsgContext& ctx) {
            return checkRouteParam(ctx.msg(), listeners(), *re) ? Verdict::ok() : Verdict::fail();
          });
        },
        "check_route_param(regex): true when the params of our Route (\";lr;ftag=...\") match");
    spec.command(
        "is_direction", {ArgSpec::str("direction")}, kRecordRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          static const std::vector<std::string_view> kWords = {"downstream", "upstream"};
          if (a[0].kind != ScriptArg::Kind::kString || !a[0].isConstant() ||
              (a[0].text != kWords[0] && a[0].text != kWords[1])) {
            return bc.error(
                a[0], Status::invalidArgument("expected \"downstream\" or \"upstream\", got \"" +
                                              a[0].text + "\"" + didYouMean(a[0].text, kWords)));
          }
          FlowDirection wanted =
              a[0].text == kWords[0] ? FlowDirection::kDownstream : FlowDirection::kUpstream;
          return makeCall([wanted](MsgContext& ctx) {
            return flowDirection(ctx.msg(), listeners()) == wanted ? Verdict::ok()
                                                                   : Verdict::fail();
          });
        },
        "is_direction(\"downstream\"|\"upstream\"): the direction of an in-dialog request, "
        "from the ftag of our Route");
  }

 private:
  // ";ftag=..." (append_fromtag) followed by the call's params.
  std::string ownParams(MsgContext& ctx, const std::string& params) const {
    return append_fromtag_ ? fromTagParam(ctx.msg()) + params : params;
  }

  Result<BoundCallPtr> bindRecordRoute(const ScriptArgs& a, BindContext& bc) {
    ParamsArg params;
    if (!a.empty()) {
      Result<ParamsArg> bound = ParamsArg::bind(a[0], bc);
      if (!bound.isOk()) return bound.status();
      params = std::move(bound.value());
    }
    return makeCall([this, params = std::move(params),
                     site = ScriptErrorSite(bc.pos(), "record_route")](MsgContext& ctx) {
      if (!ctx.msg().isRequest()) return Verdict::fail();
      std::string text;
      if (!params.eval(ctx, site, text)) return Verdict::fail();
      if (!requestRecordRoute(ctx, ownParams(ctx, text))) {
        site.report(ctx, "this request is record-routed already; the call is ignored");
        return Verdict::fail();
      }
      return Verdict::ok();
    });
  }

  Result<BoundCallPtr> bindPreset(const ScriptArgs& a, BindContext& bc) {
    Result<StrArg> address = bc.strArg(a[0]);
    if (!address.isOk()) return address.status();
    std::string constant;
    if (address.value().isConstant()) {
      Result<std::string> checked = recordRoutePreset(address.value().constant());
      if (!checked.isOk()) return bc.error(a[0], checked.status());
      constant = std::move(checked.value());
    }
    ParamsArg params;
    if (a.size() > 1) {
      Result<ParamsArg> bound = ParamsArg::bind(a[1], bc);
      if (!bound.isOk()) return bound.status();
      params = std::move(bound.value());
    }
    return makeCall([this, address = std::move(address.value()), constant = std::move(constant),
                     params = std::move(params),
                     site = ScriptErrorSite(bc.pos(), "record_route_preset")](MsgContext& ctx) {
      if (!ctx.msg().isRequest()) return Verdict::fail();
      std::string preset = constant;
      if (preset.empty()) {
        std::string scratch;
        Result<std::string> checked = recordRoutePreset(address.eval(ctx, scratch));
        if (!checked.isOk()) {
          site.report(ctx, "%s", checked.status().message().c_str());
          return Verdict::fail();
        }
        preset = std::move(checked.value());
      }
      std::string text;
      if (!params.eval(ctx, site, text)) return Verdict::fail();
      if (!requestPresetRecordRoute(ctx, preset, ownParams(ctx, text))) {
        site.report(ctx, "this request is record-routed already; the call is ignored");
        return Verdict::fail();
      }
      return Verdict::ok();
    });
  }

  bool append_fromtag_ = true;
  std::vector<rr::LooseRouteCallback> loose_route_callbacks_;
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("rr", sipline::RrModule)
