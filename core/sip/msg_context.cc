#include "core/sip/msg_context.h"

namespace sipline {

std::string_view MsgContext::ruri() const {
  return ruri_changed_ ? std::string_view(new_ruri_) : msg_.requestUriText();
}

const SipUri* MsgContext::ruriParsed() {
  if (!ruri_changed_) return msg_.requestUri();
  return new_ruri_ok_ ? &new_ruri_parsed_ : nullptr;
}

Status MsgContext::setRuri(std::string uri) {
  if (!msg_.isRequest()) return Status::failedPrecondition("a reply has no request-URI");
  SipUri parsed;
  if (parseUri(uri, parsed) != ParseError::kOk) {
    return Status::invalidArgument("not a valid URI: " + uri);
  }
  new_ruri_ = std::move(uri);
  ruri_changed_ = true;
  // Views must point into new_ruri_ (stable from here on): parse again in place.
  new_ruri_ok_ = parseUri(new_ruri_, new_ruri_parsed_) == ParseError::kOk;
  msg_.replaceRequestUri(new_ruri_);
  return Status::ok();
}

}  // namespace sipline
