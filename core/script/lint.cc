#include "core/script/lint.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/base/strings.h"

namespace sipline::script {

namespace {

// A statement after which nothing in the same block runs.
struct Leave {
  std::string what;  // "'exit'", "an if/else whose every branch leaves"
  SourcePos pos;
};

std::optional<Leave> leaves(const Stmt& s) {
  using K = Stmt::Kind;
  switch (s.kind) {
    case K::kExit:
      return Leave{"'exit'", s.pos};
    case K::kDrop:
      return Leave{"'drop'", s.pos};
    case K::kReturn:
      return Leave{"'return'", s.pos};
    case K::kBreak:
      return Leave{"'break'", s.pos};
    case K::kBlock:
      for (const StmtPtr& c : s.body) {
        if (std::optional<Leave> l = leaves(*c)) return l;
      }
      return std::nullopt;
    case K::kIf:
      if (s.body.size() == 2 && leaves(*s.body[0]) && leaves(*s.body[1])) {
        return Leave{"an if/else whose every branch leaves", s.pos};
      }
      return std::nullopt;
    default:
      return std::nullopt;  // a while or switch may fall out
  }
}

class Linter {
 public:
  explicit Linter(const LintOptions& options) : options_(options) {}

  std::vector<std::string> run(const ScriptAst& ast) {
    for (const RouteDef& def : ast.routes) {
      sequence(def.body->body);
      flagsIn(*def.body);
    }
    flagWarnings(message_flags_, "flag", "isflagset", reads_mf_);
    flagWarnings(branch_flags_, "branch flag", "isbflagset", reads_bf_);
    return std::move(warnings_);
  }

 private:
  // ---- unreachable code ----
  void sequence(const std::vector<StmtPtr>& body) {
    bool warned = false;
    for (std::size_t i = 0; i < body.size(); ++i) {
      nested(*body[i]);
      if (warned || i + 1 == body.size()) continue;
      if (std::optional<Leave> l = leaves(*body[i])) {
        warnings_.push_back(body[i + 1]->pos.toString() + ": unreachable code (after " + l->what +
                            " at " + l->pos.toString() + ")");
        warned = true;
      }
    }
  }
  void nested(const Stmt& s) {
    using K = Stmt::Kind;
    switch (s.kind) {
      case K::kBlock:
      case K::kCase:
        sequence(s.body);
        break;
      case K::kIf:
      case K::kWhile:
      case K::kSwitch:
        for (const StmtPtr& c : s.body) nested(*c);
        break;
      default:
        break;
    }
  }

  // ---- flags set but never tested ----
  struct FlagUse {
    std::map<std::int64_t, SourcePos> set;  // first setflag of each number
    std::map<std::int64_t, bool> tested;
    bool tested_dynamically = false;  // isflagset($var(x)): any flag may be tested
  };

  static std::optional<std::int64_t> constantFlag(const Expr& call) {
    if (call.args.empty()) return std::nullopt;
    const Expr& a = *call.args[0];
    if (a.kind == Expr::Kind::kInt) return a.int_value;
    std::int64_t v = 0;
    if (a.kind == Expr::Kind::kString && parseInt(trim(a.text), v)) return v;
    return std::nullopt;
  }

  void flagsIn(const Stmt& s) {
    if (s.kind == Stmt::Kind::kAssign) notePvarText(s.target, /*read=*/false);
    if (s.expr) flagsIn(*s.expr);
    for (const StmtPtr& c : s.body) {
      if (c) flagsIn(*c);
    }
  }
  void flagsIn(const Expr& e) {
    if (e.kind == Expr::Kind::kPvar) notePvarText(e.text, /*read=*/true);
    if (e.kind == Expr::Kind::kString) noteFormat(e.text);
    if (e.kind == Expr::Kind::kCall) {
      FlagUse* use = nullptr;
      bool is_set = false;
      if (e.text == "setflag" || e.text == "isflagset") {
        use = &message_flags_;
        is_set = e.text == "setflag";
      } else if (e.text == "setbflag" || e.text == "isbflagset") {
        use = &branch_flags_;
        is_set = e.text == "setbflag";
      }
      if (use != nullptr) {
        std::optional<std::int64_t> n = constantFlag(e);
        if (is_set && n) {
          use->set.emplace(*n, e.pos);
        } else if (!is_set) {
          if (n) {
            use->tested[*n] = true;
          } else {
            use->tested_dynamically = true;
          }
        }
      }
    }
    for (const ExprPtr& a : e.args) flagsIn(*a);
  }
  // $mf / $bf read as a whole: the script tests flags with its own bit operations.
  void notePvarText(const std::string& name, bool read) {
    if (!read) return;
    if (name == "mf") reads_mf_ = true;
    if (name == "bf" || name.rfind("bf[", 0) == 0) reads_bf_ = true;
  }
  void noteFormat(const std::string& text) {
    for (std::size_t at = text.find('$'); at != std::string::npos; at = text.find('$', at + 1)) {
      std::string rest = text.substr(at + 1, 2);
      if (rest == "mf") reads_mf_ = true;
      if (rest == "bf") reads_bf_ = true;
    }
  }

  void flagWarnings(const FlagUse& use, const char* what, const char* test, bool read_whole) {
    if (use.tested_dynamically || read_whole) return;
    for (const auto& [flag, pos] : use.set) {
      if (use.tested.count(flag)) continue;
      if (std::find(options_.module_flags.begin(), options_.module_flags.end(), flag) !=
          options_.module_flags.end()) {
        continue;
      }
      const std::string n = std::to_string(flag);
      warnings_.push_back(pos.toString() + ": " + what + " " + n + " is set but never tested (no " +
                          test + "(" + n + ") in the script, and no module parameter names it)");
    }
  }

  const LintOptions& options_;
  std::vector<std::string> warnings_;
  FlagUse message_flags_, branch_flags_;
  bool reads_mf_ = false, reads_bf_ = false;
};

}  // namespace

std::vector<std::string> lintScript(const ScriptAst& ast, const LintOptions& options) {
  return Linter(options).run(ast);
}

}  // namespace sipline::script
