// textops: header and text operations for the routing script (append_hf, insert_hf,
// append_to_reply, remove_hf, is_present_hf, search, search_body, search_append, has_body,
// is_content_type, subst, subst_uri, subst_user, subst_body, replace, replace_all,
// replace_body, replace_body_all). Glue only; the header edits are in textops.cc and the
// substitutions in substitute.cc.
#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/base/regex.h"
#include "core/base/strings.h"
#include "core/module/module.h"
#include "core/parser/sip_message.h"
#include "core/script/script.h"
#include "core/sip/msg_context.h"
#include "core/sip/uri_rewrite.h"
#include "modules/textops/substitute.h"
#include "modules/textops/textops.h"

namespace sipline {
namespace {

// A regex is never expanded; "$name" or "$(" in it is taken for a pseudo-variable the author
// expected to expand, and refused. '$' as an anchor ("a$|b") is fine.
bool looksLikePvar(const ScriptArg& arg) {
  if (arg.kind != ScriptArg::Kind::kString) return true;
  const std::string& t = arg.text;
  for (std::size_t i = 0; i + 1 < t.size(); ++i) {
    if (t[i] == '$' && (std::isalpha(static_cast<unsigned char>(t[i + 1])) || t[i + 1] == '(')) {
      return true;
    }
  }
  return false;
}

Result<std::shared_ptr<Regex>> bindRegex(const ScriptArg& arg, BindContext& bc) {
  if (looksLikePvar(arg)) {
    return bc.error(arg, Status::invalidArgument("the regex must be a constant"));
  }
  auto re = std::make_shared<Regex>();
  Status st = re->compile(arg.text, /*per_line=*/true);
  if (!st.isOk()) return bc.error(arg, st);
  return re;
}

constexpr std::uint32_t kMsgRoutes =
    kRequestRoute | kOnReplyRoute | kFailureRoute | kBranchRoute | kErrorRoute | kLocalRoute;
constexpr std::uint32_t kRuriRoutes = kRequestRoute | kFailureRoute | kBranchRoute;
// Where a request can still be answered from: append_to_reply().
constexpr std::uint32_t kReplyingRoutes =
    kRequestRoute | kFailureRoute | kBranchRoute | kErrorRoute;

// A header line argument: a constant must be "Name: value" (checked at load).
Result<StrArg> bindHeaderText(const ScriptArg& arg, BindContext& bc) {
  Result<StrArg> text = bc.strArg(arg);
  if (!text.isOk()) return text.status();
  if (text.value().isConstant() && headerLine(text.value().constant()).empty()) {
    return bc.error(arg, Status::invalidArgument("not a header: \"" + arg.text +
                                                 "\" (expected \"Name: value\")"));
  }
  return text;
}

// A "/regex/replacement/flags" bound at load: the regex compiled, and each plain-text piece
// of the replacement compiled as a format, so "$ru" or "$hdr(X)" in it expand per message.
struct BoundSubst {
  std::shared_ptr<Substitution> subst;
  std::vector<StrArg> texts;  // by piece index; used for the kText pieces
  ScriptErrorSite site;       // the call, for run-time errors

  // Applies to `subject`; returns how many replacements were made.
  int apply(MsgContext& ctx, std::string_view subject, std::string& out) const {
    Substitution::TextExpander expand = expander(ctx);
    return subst->apply(subject, out, &expand);
  }
  Substitution::TextExpander expander(MsgContext& ctx) const {
    return [this, &ctx](std::size_t i, std::string& to) {
      std::string scratch;
      to.append(texts[i].eval(ctx, scratch));
    };
  }
};

Result<BoundSubst> bindSubst(const ScriptArg& arg, BindContext& bc, const char* name) {
  if (arg.kind != ScriptArg::Kind::kString) {
    return bc.error(
        arg, Status::invalidArgument("expected a string constant '/regex/replacement/flags'"));
  }
  BoundSubst b{nullptr, {}, ScriptErrorSite(bc.pos(), name)};
  b.subst = std::make_shared<Substitution>();
  Status st = b.subst->compile(arg.text);
  if (!st.isOk()) return bc.error(arg, st);
  for (const Substitution::Piece& piece : b.subst->pieces()) {
    if (piece.kind != Substitution::Piece::Kind::kText &&
        piece.kind != Substitution::Piece::Kind::kUri) {
      b.texts.emplace_back();
      continue;
    }
    ScriptArg text = arg;
    // \u: the request-URI as it stands when the substitution runs ($ru).
    text.text = piece.kind == Substitution::Piece::Kind::kUri ? "$ru" : piece.text;
    Result<StrArg> compiled = bc.strArg(text);
    if (!compiled.isOk()) return compiled.status();
    b.texts.push_back(std::move(compiled.value()));
  }
  return b;
}

Verdict counted(int n, const ScriptErrorSite& site, MsgContext& ctx) {
  if (n < 0) {
    site.report(ctx,
                "not applied: a match lies in text an earlier edit changed or removed, or "
                "Content-Length/Content-Type is repeated");
  }
  return n > 0 ? Verdict::of(n) : Verdict::fail();
}

// subst_uri / subst_user: the substitution's result becomes the request-URI or its user.
Result<BoundCallPtr> bindSubstRuri(const ScriptArgs& args, BindContext& bc, bool user_only) {
  Result<BoundSubst> b = bindSubst(args[0], bc, user_only ? "subst_user" : "subst_uri");
  if (!b.isOk()) return b.status();
  return makeCall([b = std::move(b.value()), user_only](MsgContext& ctx) {
    if (!ctx.msg().isRequest()) return Verdict::fail();
    std::string subject;
    if (user_only) {
      const SipUri* uri = ctx.ruriParsed();
      if (uri == nullptr) return Verdict::fail();
      subject = std::string(uri->user);
    } else {
      subject = std::string(ctx.ruri());
    }
    std::string out;
    if (b.apply(ctx, subject, out) == 0) return Verdict::fail();
    Status st = user_only ? rewriteRuriPart(ctx, UriPart::kUser, out)
                          : rewriteRuriPart(ctx, UriPart::kWhole, out);
    if (!st.isOk()) {
      b.site.report(ctx, "%s", st.message().c_str());
      return Verdict::fail();
    }
    return Verdict::ok();
  });
}

// What a replace-like call does with each match of its regex.
enum class ReplaceOp : std::uint8_t {
  kReplace,      // replace / replace_all: headers and body
  kReplaceBody,  // replace_body / replace_body_all: the body alone
  kAppend,       // search_append: the text goes after the first match
};

const char* replaceName(ReplaceOp op, bool all) {
  switch (op) {
    case ReplaceOp::kReplace:
      return all ? "replace_all" : "replace";
    case ReplaceOp::kReplaceBody:
      return all ? "replace_body_all" : "replace_body";
    case ReplaceOp::kAppend:
      break;
  }
  return "search_append";
}

// replace / replace_all / replace_body / replace_body_all / search_append: a
// case-insensitive regex (as search) and a text with pvars.
Result<BoundCallPtr> bindReplace(const ScriptArgs& args, BindContext& bc, bool all,
                                 ReplaceOp op = ReplaceOp::kReplace) {
  if (looksLikePvar(args[0])) {
    return bc.error(args[0], Status::invalidArgument("the regex must be a constant"));
  }
  auto re = std::make_shared<Regex>();
  Regex::Options options;
  options.per_line = true;
  options.capture = true;
  Status st = re->compile(args[0].text, options);
  if (!st.isOk()) return bc.error(args[0], st);
  Result<StrArg> text = bc.strArg(args[1]);
  if (!text.isOk()) return text.status();
  return makeCall([re, text = std::move(text.value()), all, op,
                   site = ScriptErrorSite(bc.pos(), replaceName(op, all))](MsgContext& ctx) {
    std::string scratch;
    std::string_view t = text.eval(ctx, scratch);
    int n = op == ReplaceOp::kReplace       ? replaceInMessage(ctx.msg(), *re, t, all)
            : op == ReplaceOp::kReplaceBody ? replaceInBody(ctx.msg(), *re, t, all)
                                            : appendAfterMatch(ctx.msg(), *re, t);
    return counted(n, site, ctx);
  });
}

class TextopsModule : public Module {
 public:
  void describe(ModuleSpec& spec) override {
    spec.summary("header and text operations: add, remove, search and substitute");
    spec.description(
        "Adds, removes and finds headers, searches the message with POSIX extended regular "
        "expressions and rewrites it with sed-like substitutions. Regexes are compiled when "
        "the script loads, and a bad one stops the start with its position. Changes are "
        "recorded as edits and applied once, when the message is sent; searches see the "
        "message as received.");
    spec.command(
        "append_hf", {ArgSpec::str("header"), ArgSpec::str("after").opt()}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindAdd(a, bc, false); },
        "append_hf(\"Name: value\"[, hdr]): adds a header after the last one (after the first "
        "hdr header)");
    spec.command(
        "insert_hf", {ArgSpec::str("header"), ArgSpec::str("before").opt()}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindAdd(a, bc, true); },
        "insert_hf(\"Name: value\"[, hdr]): adds a header before the first one (before the "
        "first hdr header)");
    spec.command(
        "append_to_reply", {ArgSpec::str("header")}, kReplyingRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<StrArg> text = bindHeaderText(a[0], bc);
          if (!text.isOk()) return text.status();
          return makeCall([text = std::move(text.value())](MsgContext& ctx) {
            std::string scratch;
            std::string line = headerLine(text.eval(ctx, scratch));
            if (line.empty()) return Verdict::fail();
            ctx.reply_headers += line;
            return Verdict::ok();
          });
        },
        "append_to_reply(\"Name: value\"): adds a header to the replies this request gets "
        "from here (sl_send_reply, t_reply)");
    spec.command(
        "remove_hf", {ArgSpec::str("name")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<StrArg> name = bc.strArg(a[0]);
          if (!name.isOk()) return name.status();
          return makeCall([name = std::move(name.value()),
                           site = ScriptErrorSite(bc.pos(), "remove_hf")](MsgContext& ctx) {
            std::string scratch;
            int n = removeHeaders(ctx.msg(), name.eval(ctx, scratch));
            if (n < 0) {
              site.report(ctx, "a substitution changed part of that header: nothing removed");
            }
            return n > 0 ? Verdict::of(n) : Verdict::fail();
          });
        },
        "remove_hf(name): removes every header of that name; returns how many");
    spec.command(
        "is_present_hf", {ArgSpec::str("name")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<StrArg> name = bc.strArg(a[0]);
          if (!name.isOk()) return name.status();
          return makeCall([name = std::move(name.value())](MsgContext& ctx) {
            std::string scratch;
            return hasHeader(ctx.msg(), name.eval(ctx, scratch)) ? Verdict::ok() : Verdict::fail();
          });
        },
        "is_present_hf(name): true when the message has that header");
    spec.command(
        "search", {ArgSpec::str("regex")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<std::shared_ptr<Regex>> re = bindRegex(a[0], bc);
          if (!re.isOk()) return re.status();
          return makeCall([re = re.value()](MsgContext& ctx) {
            return re->matches(ctx.msg().buffer()) ? Verdict::ok() : Verdict::fail();
          });
        },
        "search(regex): true when the message (as received) matches");
    spec.command(
        "search_body", {ArgSpec::str("regex")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<std::shared_ptr<Regex>> re = bindRegex(a[0], bc);
          if (!re.isOk()) return re.status();
          return makeCall([re = re.value()](MsgContext& ctx) {
            return re->matches(ctx.msg().body()) ? Verdict::ok() : Verdict::fail();
          });
        },
        "search_body(regex): true when the body matches");
    spec.command(
        "has_body", {ArgSpec::str("content_type").opt()}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          std::string wanted;
          if (!a.empty()) {
            if (!a[0].isConstant()) {
              return bc.error(a[0], Status::invalidArgument("the type must be a constant"));
            }
            wanted = toLower(a[0].text);
          }
          return makeCall([wanted](MsgContext& ctx) {
            if (ctx.msg().body().empty()) return Verdict::fail();
            if (wanted.empty()) return Verdict::ok();
            const ContentType* ct = ctx.msg().contentType();
            if (ct == nullptr) return Verdict::fail();
            std::string have = toLower(ct->type) + "/" + toLower(ct->subtype);
            return have == wanted ? Verdict::ok() : Verdict::fail();
          });
        },
        "has_body([\"type/subtype\"]): true when there is a body (of that type)");
    spec.command(
        "is_content_type", {ArgSpec::str("type")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          if (!a[0].isConstant()) {
            return bc.error(a[0], Status::invalidArgument("the type must be a constant"));
          }
          std::string wanted(trim(a[0].text));
          std::size_t slash = wanted.find('/');
          if (slash == std::string::npos || slash == 0 || slash + 1 == wanted.size() ||
              wanted.find_first_of(" ;,\t", 0) != std::string::npos) {
            return bc.error(a[0], Status::invalidArgument("expected \"type/subtype\", got \"" +
                                                          a[0].text + "\""));
          }
          return makeCall([wanted](MsgContext& ctx) {
            return isContentType(ctx.msg(), wanted) ? Verdict::ok() : Verdict::fail();
          });
        },
        "is_content_type(\"type/subtype\"): true when the Content-Type (or a part of a "
        "multipart body) is of that type");
    spec.command(
        "subst", {ArgSpec::str("subst")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<BoundSubst> b = bindSubst(a[0], bc, "subst");
          if (!b.isOk()) return b.status();
          return makeCall([b = std::move(b.value())](MsgContext& ctx) {
            Substitution::TextExpander expand = b.expander(ctx);
            return counted(substituteInMessage(ctx.msg(), *b.subst, &expand), b.site, ctx);
          });
        },
        "subst('/regex/replacement/flags'): sed-like substitution in the headers and body");
    spec.command(
        "subst_body", {ArgSpec::str("subst")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) -> Result<BoundCallPtr> {
          Result<BoundSubst> b = bindSubst(a[0], bc, "subst_body");
          if (!b.isOk()) return b.status();
          return makeCall([b = std::move(b.value())](MsgContext& ctx) {
            Substitution::TextExpander expand = b.expander(ctx);
            return counted(substituteInBody(ctx.msg(), *b.subst, &expand), b.site, ctx);
          });
        },
        "subst_body('/regex/replacement/flags'): sed-like substitution in the body");
    spec.command(
        "subst_uri", {ArgSpec::str("subst")}, kRuriRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindSubstRuri(a, bc, false); },
        "subst_uri('/regex/replacement/flags'): substitution on the request-URI");
    spec.command(
        "subst_user", {ArgSpec::str("subst")}, kRuriRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindSubstRuri(a, bc, true); },
        "subst_user('/regex/replacement/flags'): substitution on the request-URI's user");
    spec.command(
        "replace", {ArgSpec::str("regex"), ArgSpec::str("text")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindReplace(a, bc, false); },
        "replace(regex, text): replaces the first match in the headers and body with text");
    spec.command(
        "replace_all", {ArgSpec::str("regex"), ArgSpec::str("text")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) { return bindReplace(a, bc, true); },
        "replace_all(regex, text): replaces every match in the headers and body with text");
    spec.command(
        "replace_body", {ArgSpec::str("regex"), ArgSpec::str("text")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) {
          return bindReplace(a, bc, false, ReplaceOp::kReplaceBody);
        },
        "replace_body(regex, text): replaces the first match in the body with text");
    spec.command(
        "replace_body_all", {ArgSpec::str("regex"), ArgSpec::str("text")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) {
          return bindReplace(a, bc, true, ReplaceOp::kReplaceBody);
        },
        "replace_body_all(regex, text): replaces every match in the body with text");
    spec.command(
        "search_append", {ArgSpec::str("regex"), ArgSpec::str("text")}, kMsgRoutes,
        [](const ScriptArgs& a, BindContext& bc) {
          return bindReplace(a, bc, false, ReplaceOp::kAppend);
        },
        "search_append(regex, text): inserts text after the first match in the headers and "
        "body");
  }

 private:
  static Result<BoundCallPtr> bindAdd(const ScriptArgs& args, BindContext& bc, bool at_top) {
    Result<StrArg> text = bindHeaderText(args[0], bc);
    if (!text.isOk()) return text.status();
    if (args.size() > 1) {
      Result<StrArg> anchor = bc.strArg(args[1]);
      if (!anchor.isOk()) return anchor.status();
      return makeCall([at_top, text = std::move(text.value()),
                       anchor = std::move(anchor.value())](MsgContext& ctx) {
        std::string scratch;
        std::string anchor_scratch;
        std::string_view line = text.eval(ctx, scratch);
        std::string_view name = trim(anchor.eval(ctx, anchor_scratch));
        bool ok = at_top ? insertHeaderLineBefore(ctx.msg(), line, name)
                         : appendHeaderLineAfter(ctx.msg(), line, name);
        return ok ? Verdict::ok() : Verdict::fail();
      });
    }
    return makeCall([at_top, text = std::move(text.value())](MsgContext& ctx) {
      std::string scratch;
      std::string_view line = text.eval(ctx, scratch);
      bool ok = at_top ? insertHeaderLine(ctx.msg(), line) : appendHeaderLine(ctx.msg(), line);
      return ok ? Verdict::ok() : Verdict::fail();
    });
  }
};

}  // namespace
}  // namespace sipline

SIPLINE_MODULE("textops", sipline::TextopsModule)
