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
  // Parsed in place, so the views of new_ruri_parsed_ point into new_ruri_ (one parse); on
  // failure the previous URI comes back.
  std::string previous;
  previous.swap(new_ruri_);
  new_ruri_ = std::move(uri);
  if (parseUri(new_ruri_, new_ruri_parsed_) != ParseError::kOk) {
    std::string bad = std::move(new_ruri_);
    new_ruri_ = std::move(previous);
    new_ruri_parsed_ = SipUri();
    if (ruri_changed_) new_ruri_ok_ = parseUri(new_ruri_, new_ruri_parsed_) == ParseError::kOk;
    return Status::invalidArgument("not a valid URI: " + bad);
  }
  new_ruri_ok_ = true;
  ruri_changed_ = true;
  msg_.replaceRequestUri(new_ruri_);
  return Status::ok();
}

void MsgContext::revertRuri() {
  if (!ruri_changed_) return;
  ruri_changed_ = false;
  new_ruri_ok_ = false;
  new_ruri_parsed_ = SipUri();
  new_ruri_.clear();
  // The keyed edit can only be overwritten: with the original text it changes nothing.
  msg_.replaceRequestUri(std::string(msg_.requestUriText()));
}

Status MsgContext::appendBranch(Branch branch) {
  if (branches.size() + 1 >= kMaxBranches) {
    return Status::failedPrecondition("too many branches (at most " + std::to_string(kMaxBranches) +
                                      ")");
  }
  branches.push_back(std::move(branch));
  return Status::ok();
}

std::uint32_t* MsgContext::branchFlags(std::size_t index) {
  if (index == 0) return &bflags;
  return index <= branches.size() ? &branches[index - 1].bflags : nullptr;
}

}  // namespace sipline
