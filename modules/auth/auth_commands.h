// The auth module's script commands, bound against an AuthService: www_challenge,
// proxy_challenge, consume_credentials, pv_www_authorize, pv_proxy_authorize. Kept out of
// auth_module.cc so the unit tests bind and run them as the script compiler would.
#pragma once

#include <string>

#include "core/script/script_api.h"
#include "modules/auth/auth_service.h"

namespace sipline::auth {

// Module parameters the commands read at bind time.
struct CommandOptions {
  std::string algorithms = "MD5,SHA-256,SHA-512-256";  // offered when a challenge names none
  std::string password_avp = "password";  // AVP holding the password for pv_*_authorize
  bool password_is_ha1 = false;           // ... or the HA1 of the algorithm the phone uses
};

// www_challenge(realm[, qop[, algorithms]]) (proxy=false) and proxy_challenge(...): qop and
// algorithms must be constants (checked here); the realm may hold pvars. 1 sent, -1 not.
Result<BoundCallPtr> bindChallenge(AuthService& service, const CommandOptions& options, bool proxy,
                                   const ScriptArgs& args, BindContext& bc);
// consume_credentials(): 1 removed, -1 nothing authorized in this request.
Result<BoundCallPtr> bindConsumeCredentials(const ScriptArgs& args, BindContext& bc);
// pv_www_authorize(realm) / pv_proxy_authorize(realm): the Rc codes of api.h.
Result<BoundCallPtr> bindPvAuthorize(AuthService& service, const CommandOptions& options,
                                     bool proxy, const ScriptArgs& args, BindContext& bc);

// The AVP name of the password_avp parameter: "password" or "$avp(password)".
std::string avpName(const std::string& param);

}  // namespace sipline::auth
