#include "modules/registrar/save.h"

#include <algorithm>

#include "core/base/clock.h"
#include "core/base/strings.h"
#include "core/sip/reply.h"
#include "core/transport/conn_index.h"
#include "core/transport/listener.h"
#include "modules/registrar/bindings.h"
#include "modules/registrar/contact_match.h"
#include "modules/registrar/reply_headers.h"

namespace sipline::registrar {
namespace {

SaveReply refusal(int code, const char* reason, int rc, std::string error,
                  const SaveOptions& options) {
  SaveReply reply;
  reply.code = code;
  reply.reason = reason;
  reply.rc = rc;
  reply.error = std::move(error);
  if (code >= 500 && options.retry_after > 0) {
    reply.headers += "Retry-After: ";
    appendDecimal(reply.headers, options.retry_after);
    reply.headers += "\r\n";
  }
  return reply;
}

// usrloc could not do it: a field longer than its DB column (400), the DB down in DB-only
// mode (503), shared memory full or anything else (500).
SaveReply storeFailure(const Status& st, const SaveOptions& options) {
  if (st.code() == Code::kInvalidArgument) {
    return refusal(400, "Bad Request", kSaveBadRequest, st.message(), options);
  }
  if (st.code() == Code::kUnavailable) {
    return refusal(503, "Service Unavailable", kSaveInternal, st.message(), options);
  }
  return refusal(500, "Server Internal Error", kSaveInternal, st.message(), options);
}

bool requested(const RegisterRequest& req, const usrloc::Contact& c) {
  for (const RequestedBinding& b : req.bindings) {
    if (sameBinding(b.uri, b.instance, b.reg_id, c.uri, c.instance, c.reg_id)) return true;
  }
  return false;
}

// A registration over TCP or TLS is reached over its connection (lookup() sends to the
// source kept as received): the connection stays open as long as the longest binding of the
// REGISTER, whatever tcp_connection_lifetime says.
void keepConnection(const RequestSource& source, const RegisterRequest& req) {
  ConnIndex* index = connIndex();
  if (source.proto == Proto::kUdp || index == nullptr) return;
  std::int64_t until = 0;
  for (const RequestedBinding& b : req.bindings) {
    until = std::max(until, b.expires);
  }
  if (until > 0) index->keepUntil(source.proto, source.src, monotonicMs() + until * 1000);
}

}  // namespace

SaveReply processRegister(MsgContext& ctx, usrloc::Api& usrloc, usrloc::Domain* domain,
                          const SaveOptions& options, std::optional<std::string_view> aor,
                          std::int64_t now) {
  SaveReply reply;
  SipMessage& msg = ctx.msg();
  if (!msg.isRequest() || msg.method() != Method::kRegister) {
    reply.code = 0;
    reply.rc = kSaveInternal;
    reply.error = "save() needs a REGISTER request";
    return reply;
  }
  RequestSource source;
  source.src = ctx.rcv().src;
  source.proto = ctx.rcv().proto;
  if (ctx.rcv().listener != nullptr) source.socket = ctx.rcv().listener->text;
  source.bflags = ctx.bflags;
  source.force_received = ctx.force_received;
  RegisterRequest req;
  if (!parseRegister(msg, source, aor, options.limits, req, reply)) return reply;
  if (options.memory_only) req.flags |= usrloc::kContactMemoryOnly;

  std::vector<usrloc::Contact> current;
  if (!req.has_contacts) {
    // RFC 3261 §10.3 step 6: no Contact, a query: the bindings as they are.
    Result<std::vector<usrloc::Contact>> got = usrloc.get(domain, req.aor);
    if (!got.isOk()) return storeFailure(got.status(), options);
    current = std::move(got.value());
  } else {
    ApplyOutcome outcome;
    Status st = usrloc.withRecord(domain, req.aor, [&](usrloc::Record& record) {
      outcome =
          applyRegistration(record, req, options.limits.max_contacts, options.limits.force, now);
      return outcome.result == ApplyResult::kStoreError ? outcome.store_status : Status::ok();
    });
    if (!st.isOk()) return storeFailure(st, options);
    switch (outcome.result) {
      case ApplyResult::kOk:
        break;
      case ApplyResult::kStale:
        return refusal(400, "Bad Request", kSaveStale,
                       "CSeq not higher than the binding's for the same Call-ID", options);
      case ApplyResult::kTooMany:
        return refusal(503, "Service Unavailable", kSaveTooMany,
                       "too many registered contacts (max_contacts " +
                           std::to_string(options.limits.max_contacts) + ")",
                       options);
      case ApplyResult::kStoreError:
        return storeFailure(outcome.store_status, options);
    }
    current = std::move(outcome.current);
    keepConnection(source, req);
  }

  if (options.only_request_contacts) {
    std::erase_if(current, [&](const usrloc::Contact& c) { return !requested(req, c); });
  }
  appendContactLines(reply.headers, current, now, options.received_param);
  if (req.echo_path) reply.headers += "Path: " + req.path + "\r\n";
  appendDateLine(reply.headers, now);
  return reply;
}

bool sendSaveReply(MsgContext& ctx, const SaveReply& reply) {
  if (reply.code == 0) return true;
  return sendReply(ctx, reply.code, reply.reason, reply.headers);
}

}  // namespace sipline::registrar
