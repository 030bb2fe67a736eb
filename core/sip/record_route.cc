#include "core/sip/record_route.h"

#include <cctype>

#include "core/base/strings.h"
#include "core/config/socket_spec.h"

namespace sipline {
namespace {

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// RFC 3261 §19.1.1 paramchar (param-unreserved / unreserved), escapes checked apart.
bool isParamChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("-_.!~*'()[]/:&+$").find(c) != std::string_view::npos;
}

// pname or pvalue: 1*paramchar with valid %HH escapes.
bool isParamText(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !isHex(s[i + 1]) || !isHex(s[i + 2])) return false;
      i += 2;
    } else if (!isParamChar(s[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::string> recordRouteParams(std::string_view text) {
  std::string out;
  std::string_view rest = text;
  if (!rest.empty() && rest[0] == ';') rest.remove_prefix(1);
  if (rest.empty()) {
    if (text.empty()) return out;
    return Status::invalidArgument("empty parameter in \"" + std::string(text) + "\"");
  }
  while (true) {
    std::size_t semi = rest.find(';');
    std::string_view param = rest.substr(0, semi);
    std::size_t eq = param.find('=');
    std::string_view name = param.substr(0, eq);
    bool ok =
        isParamText(name) && (eq == std::string_view::npos || isParamText(param.substr(eq + 1)));
    if (!ok) {
      return Status::invalidArgument(
          "\"" + std::string(text) +
          "\" is not a list of URI parameters (;name or ;name=value, RFC 3261 characters)");
    }
    out += ';';
    out += param;
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return out;
}

Result<std::string> recordRoutePreset(std::string_view text) {
  std::string_view t = trim(text);
  if (t.size() >= 4 && iequals(t.substr(0, 4), "sip:")) t.remove_prefix(4);
  Result<HostPort> hp = parseHostPort(t, HostRule::kNameOrAddress, PortRule::kOptional);
  if (!hp.isOk()) {
    return Status::invalidArgument("\"" + std::string(text) +
                                   "\" is not host[:port]: " + hp.status().message());
  }
  return hp.value().toString();
}

bool requestRecordRoute(MsgContext& ctx, std::string_view params) {
  RecordRouteRequest& req = ctx.record_route;
  if (req.wanted) return false;
  req.wanted = true;
  req.params.insert(0, params);  // before what add_rr_param() gave already
  return true;
}

bool requestPresetRecordRoute(MsgContext& ctx, std::string_view preset, std::string_view params) {
  RecordRouteRequest& req = ctx.record_route;
  if (req.wanted) return false;
  req.wanted = true;
  req.preset = std::string(preset);
  req.params.insert(0, params);
  return true;
}

void addRecordRouteParams(MsgContext& ctx, std::string_view params) {
  ctx.record_route.params += params;
}

std::string_view recordRoutePresetOf(const RecordRouteRequest& req) { return req.preset; }

std::string_view recordRouteParamsOf(const RecordRouteRequest& req) { return req.params; }

std::string recordRouteUri(std::string_view host, std::uint16_t port, Proto proto, bool double_rr,
                           std::string_view params) {
  std::string uri = "sip:";
  uri += host;
  if (port != 0) {
    uri += ':';
    uri += std::to_string(port);
  }
  if (proto != Proto::kUdp) {
    uri += ";transport=";
    uri += protoName(proto);
  }
  uri += ";lr";
  if (double_rr) uri += ";r2=on";
  uri += params;
  return uri;
}

std::string recordRouteLines(MsgContext& ctx, const Listener& out) {
  const RecordRouteRequest& req = ctx.record_route;
  if (!req.wanted) return "";
  std::string_view preset = req.preset;
  std::string_view params = req.params;
  std::string lines;
  auto add = [&lines](const std::string& uri) {
    lines += "Record-Route: <";
    lines += uri;
    lines += ">\r\n";
  };
  if (!preset.empty()) {
    add("sip:" + std::string(preset) + ";lr" + std::string(params));
    return lines;
  }
  std::string_view out_host = ctx.advertised_address.empty()
                                  ? std::string_view(out.via_host)
                                  : std::string_view(ctx.advertised_address);
  std::uint16_t out_port = ctx.advertised_port != 0 ? ctx.advertised_port : out.via_port;
  const Listener* in = ctx.rcv().listener;
  bool double_rr = false;
  std::string in_uri;
  if (in != nullptr && in != &out) {
    in_uri = recordRouteUri(in->via_host, in->via_port, in->proto, true, params);
    // Two sockets that advertise the same address and transport need one entry only.
    double_rr = in_uri != recordRouteUri(out_host, out_port, out.proto, true, params);
  }
  add(recordRouteUri(out_host, out_port, out.proto, double_rr, params));
  if (double_rr) add(in_uri);
  return lines;
}

void insertRecordRoute(MsgContext& ctx, const Listener& out) {
  std::string lines = recordRouteLines(ctx, out);
  if (!lines.empty()) ctx.msg().insertHeaderAtTop(HeaderType::kRecordRoute, std::move(lines));
}

}  // namespace sipline
