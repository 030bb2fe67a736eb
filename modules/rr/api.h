// The rr service other modules use ("rr", Services): a hook into loose_route() so that a
// module keeping per-dialog state (dialog) sees every in-dialog request the script routes by
// its Route set, with the params of the Route entry of ours that loose_route() consumed.
// Callbacks are registered before fork (init()) and run in the worker that handles the
// request, after loose_route() routed it and before the script goes on.
#pragma once

#include <string_view>

namespace sipline {
class MsgContext;
}

namespace sipline::rr {

// `route_params`: the URI params of our Route entry without the leading ';' ("" when the
// request carried no Route of ours). Keep it short: it runs on every in-dialog request.
using LooseRouteCallback = void (*)(MsgContext& ctx, std::string_view route_params);

class Api {
 public:
  virtual ~Api() = default;
  // Before fork. Callbacks run in registration order.
  virtual void onLooseRoute(LooseRouteCallback cb) = 0;
};

}  // namespace sipline::rr
