#include "modules/auth_db/authorize.h"

#include "core/base/log.h"
#include "core/script/value.h"

namespace sipline::auth_db {
namespace {

const char* reasonFor(int code) {
  return code == 503 ? "Service Unavailable" : "Server Internal Error";
}

// Every failure that has no HA1 to check runs postAuth() on a random one (and, with
// calculate_ha1, the HA1 hash too unless `hashed` says it ran), so an unknown user or an
// empty column answers no faster than a wrong password. The verdict is thrown away.
void failLikeAWrongPassword(Service& service, auth::Api& api, MsgContext& ctx,
                            const auth::Credentials& creds, bool hashed) {
  const std::string& decoy = service.decoyHa1(creds.algorithm);
  if (service.config().calculate_ha1 && !hashed) {
    std::string burn = crypto::digestHa1(creds.algorithm, creds.username, creds.realm, decoy);
    (void)burn;
  }
  api.postAuth(ctx, creds, decoy);
  ctx.auth.credentials = nullptr;
  ctx.auth.username.clear();
  ctx.auth.realm.clear();
  ctx.auth.stale = false;
}

}  // namespace

int authorize(Service& service, auth::Api& api, MsgContext& ctx, std::string_view realm_arg,
              Table& table, HeaderType type, const ReplyFn& reply) {
  std::string realm = api.realmFor(ctx, realm_arg);
  auth::Credentials creds;
  int rc = api.preAuth(ctx, realm, type, creds);
  if (rc != auth::kAuthorized) return rc;
  Method method = ctx.msg().method();
  if (method == Method::kAck || method == Method::kCancel) {
    return api.postAuth(ctx, creds, "");  // cannot be challenged (RFC 3261 §22.1)
  }

  SubscriberRow row;
  switch (service.lookup(table, creds.user, creds.realm, row)) {
    case Lookup::kError: {
      std::int64_t code = service.config().db_error_reply;
      if (code != 0 && !ctx.replied) {
        if (!reply(ctx, static_cast<int>(code), reasonFor(static_cast<int>(code)))) {
          SL_ERR_RATELIMITED("auth_db: could not send the %d for Call-ID %.*s",
                             static_cast<int>(code), SL_SV(ctx.msg().callId()));
        }
      }
      return auth::kError;
    }
    case Lookup::kNotFound: {
      // Same work as a wrong password; the result is thrown away.
      failLikeAWrongPassword(service, api, ctx, creds, false);
      SL_DBG("auth_db: no subscriber %s in %s (Call-ID %.*s)", creds.user.c_str(),
             table.name().c_str(), SL_SV(ctx.msg().callId()));
      return auth::kUserUnknown;
    }
    case Lookup::kFound:
      break;
  }

  std::string computed;
  std::string_view ha1;
  if (service.config().calculate_ha1) {
    // RFC 7616 §3.4.2: over the username parameter as sent, and the realm. An empty password
    // still costs the hash (and below, the decoy check).
    const std::string& password =
        row.password.empty() ? service.decoyHa1(creds.algorithm) : row.password;
    computed = crypto::digestHa1(creds.algorithm, creds.username, creds.realm, password);
    ha1 = row.password.empty() ? std::string_view() : std::string_view(computed);
  } else {
    ha1 = row.ha1[static_cast<std::size_t>(creds.algorithm)];
  }
  if (ha1.size() != crypto::digestHexLength(creds.algorithm)) {
    // No usable HA1 (empty column, no password, not a hash): a wrong password, at its price.
    failLikeAWrongPassword(service, api, ctx, creds, service.config().calculate_ha1);
    return auth::kInvalidPassword;
  }
  rc = api.postAuth(ctx, creds, ha1);
  if (rc != auth::kAuthorized) return rc;

  const std::vector<LoadedColumn>& columns = service.loadedColumns();
  for (std::size_t i = 0; i < columns.size() && i < row.extra.size(); ++i) {
    if (row.extra[i].has_value()) {
      ctx.avps.push(columns[i].avp, script::Value::owned(*row.extra[i]));
    }
  }
  return auth::kAuthorized;
}

}  // namespace sipline::auth_db
