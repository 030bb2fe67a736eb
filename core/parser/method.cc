#include "core/parser/method.h"

#include <cstring>

namespace sipline {

Method methodFromName(std::string_view name) {
  auto eq = [&name](const char* lit) { return std::memcmp(name.data(), lit, name.size()) == 0; };
  switch (name.size()) {
    case 3:
      if (eq("ACK")) return Method::kAck;
      if (eq("BYE")) return Method::kBye;
      break;
    case 4:
      if (eq("INFO")) return Method::kInfo;
      break;
    case 5:
      if (eq("PRACK")) return Method::kPrack;
      if (eq("REFER")) return Method::kRefer;
      break;
    case 6:
      if (eq("INVITE")) return Method::kInvite;
      if (eq("CANCEL")) return Method::kCancel;
      if (eq("UPDATE")) return Method::kUpdate;
      if (eq("NOTIFY")) return Method::kNotify;
      break;
    case 7:
      if (eq("OPTIONS")) return Method::kOptions;
      if (eq("MESSAGE")) return Method::kMessage;
      if (eq("PUBLISH")) return Method::kPublish;
      break;
    case 8:
      if (eq("REGISTER")) return Method::kRegister;
      break;
    case 9:
      if (eq("SUBSCRIBE")) return Method::kSubscribe;
      break;
    default:
      break;
  }
  return Method::kOther;
}

std::string_view methodName(Method method) {
  switch (method) {
    case Method::kOther:
      return "";
    case Method::kInvite:
      return "INVITE";
    case Method::kAck:
      return "ACK";
    case Method::kBye:
      return "BYE";
    case Method::kCancel:
      return "CANCEL";
    case Method::kRegister:
      return "REGISTER";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kInfo:
      return "INFO";
    case Method::kUpdate:
      return "UPDATE";
    case Method::kPrack:
      return "PRACK";
    case Method::kSubscribe:
      return "SUBSCRIBE";
    case Method::kNotify:
      return "NOTIFY";
    case Method::kMessage:
      return "MESSAGE";
    case Method::kRefer:
      return "REFER";
    case Method::kPublish:
      return "PUBLISH";
  }
  return "";
}

}  // namespace sipline
