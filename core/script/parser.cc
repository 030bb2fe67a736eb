#include "core/script/parser.h"

#include "core/base/strings.h"
#include "core/script/lexer.h"

namespace sipline::script {

RouteType routeTypeOf(RouteKind kind) {
  switch (kind) {
    case RouteKind::kRequest:
      return kRequestRoute;
    case RouteKind::kOnReply:
      return kOnReplyRoute;
    case RouteKind::kFailure:
      return kFailureRoute;
    case RouteKind::kBranch:
      return kBranchRoute;
    case RouteKind::kError:
      return kErrorRoute;
    case RouteKind::kStartup:
      return kStartupRoute;
    case RouteKind::kTimer:
      return kTimerRoute;
    case RouteKind::kLocal:
      return kLocalRoute;
  }
  return kRequestRoute;
}

const char* routeKindKeyword(RouteKind kind) {
  switch (kind) {
    case RouteKind::kRequest:
      return "route";
    case RouteKind::kOnReply:
      return "onreply_route";
    case RouteKind::kFailure:
      return "failure_route";
    case RouteKind::kBranch:
      return "branch_route";
    case RouteKind::kError:
      return "error_route";
    case RouteKind::kStartup:
      return "startup_route";
    case RouteKind::kTimer:
      return "timer_route";
    case RouteKind::kLocal:
      return "local_route";
  }
  return "route";
}

namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Result<ScriptAst> run() {
    ScriptAst ast;
    while (peek().type != Tok::kEnd) {
      Result<RouteDef> r = routeDef();
      if (!r.isOk()) return r.status();
      ast.routes.push_back(std::move(r.value()));
    }
    return ast;
  }

 private:
  const Token& peek(std::size_t k = 0) const {
    std::size_t i = pos_ + k;
    return i < t_.size() ? t_[i] : t_.back();
  }
  const Token& next() {
    const Token& t = peek();
    if (pos_ < t_.size() - 1) ++pos_;
    return t;
  }
  bool accept(Tok type) {
    if (peek().type != type) return false;
    next();
    return true;
  }
  static SourcePos posOf(const Token& t) { return t.pos(); }
  Status errorAt(const Token& t, const std::string& msg) const {
    return Status::invalidArgument(posOf(t).toString() + ": " + msg);
  }
  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::kIdent:
        return "'" + t.text + "'";
      case Tok::kInt:
        return "number " + t.text;
      case Tok::kString:
        return "string \"" + t.text + "\"";
      case Tok::kPvar:
        return "$" + t.text;
      default:
        return tokName(t.type);
    }
  }
  Status expect(Tok type, const char* context) {
    if (peek().type == type) {
      next();
      return Status::ok();
    }
    return errorAt(peek(), std::string("expected ") + tokName(type) + " " + context + ", found " +
                               describe(peek()));
  }

  Result<RouteDef> routeDef() {
    static const struct {
      const char* kw;
      RouteKind kind;
    } kKinds[] = {{"route", RouteKind::kRequest},         {"onreply_route", RouteKind::kOnReply},
                  {"failure_route", RouteKind::kFailure}, {"branch_route", RouteKind::kBranch},
                  {"error_route", RouteKind::kError},     {"startup_route", RouteKind::kStartup},
                  {"timer_route", RouteKind::kTimer},     {"local_route", RouteKind::kLocal}};
    const Token& kw = peek();
    RouteDef def;
    bool found = false;
    if (kw.type == Tok::kIdent) {
      for (const auto& k : kKinds) {
        if (kw.text == k.kw) {
          def.kind = k.kind;
          found = true;
        }
      }
    }
    if (!found) {
      return errorAt(kw,
                     "expected a route block (route, onreply_route, failure_route, "
                     "branch_route, error_route, startup_route, timer_route, local_route), "
                     "found " +
                         describe(kw));
    }
    def.pos = posOf(kw);
    next();
    if (accept(Tok::kLBracket)) {
      const Token& name = peek();
      if (name.type != Tok::kIdent && name.type != Tok::kInt && name.type != Tok::kString) {
        return errorAt(name, std::string("expected a route name after '[' of ") + kw.text +
                                 ", found " + describe(name));
      }
      def.name = name.text;
      next();
      if (def.kind == RouteKind::kTimer) {
        Status st = expect(Tok::kComma, "and the interval in seconds in timer_route[name, secs]");
        if (!st.isOk()) return st;
        const Token& secs = peek();
        if (secs.type != Tok::kInt || secs.int_value <= 0) {
          return errorAt(secs, "timer_route interval must be a positive number of seconds");
        }
        def.timer_interval = static_cast<int>(secs.int_value);
        next();
      }
      Status st = expect(Tok::kRBracket, "after the route name");
      if (!st.isOk()) return st;
    } else if (def.kind == RouteKind::kFailure || def.kind == RouteKind::kBranch ||
               def.kind == RouteKind::kTimer) {
      return errorAt(peek(), std::string(kw.text) + " needs a name: " + kw.text + "[name]");
    }
    if (peek().type != Tok::kLBrace) {
      return errorAt(peek(), "expected '{' to open the body of " + std::string(kw.text) +
                                 ", found " + describe(peek()));
    }
    Result<StmtPtr> body = block();
    if (!body.isOk()) return body.status();
    def.body = std::move(body.value());
    return def;
  }

  Result<StmtPtr> block() {
    auto s = std::make_unique<Stmt>();
    s->kind = Stmt::Kind::kBlock;
    s->pos = posOf(peek());
    Status st = expect(Tok::kLBrace, "to open a block");
    if (!st.isOk()) return st;
    while (peek().type != Tok::kRBrace) {
      if (peek().type == Tok::kEnd)
        return errorAt(peek(), "missing '}' (block opened at " + s->pos.toString() + ")");
      Result<StmtPtr> child = statement();
      if (!child.isOk()) return child.status();
      if (child.value()) s->body.push_back(std::move(child.value()));
    }
    next();
    return s;
  }

  Result<StmtPtr> statement() {
    const Token& t = peek();
    if (t.type == Tok::kLBrace) return block();
    if (t.type == Tok::kSemi) {
      next();
      return StmtPtr();
    }
    auto s = std::make_unique<Stmt>();
    s->pos = posOf(t);
    if (t.type == Tok::kPvar) {
      s->kind = Stmt::Kind::kAssign;
      s->target = t.text;
      next();
      if (accept(Tok::kPlusAssign)) {
        s->append = true;
      } else {
        Status st = expect(Tok::kAssign, "after a pseudo-variable at the start of a statement");
        if (!st.isOk()) return st;
      }
      Result<ExprPtr> e = expr();
      if (!e.isOk()) return e.status();
      s->expr = std::move(e.value());
      Status st = expect(Tok::kSemi, "after the assignment");
      if (!st.isOk()) return st;
      return s;
    }
    if (t.type != Tok::kIdent) {
      return errorAt(t, "expected a statement, found " + describe(t));
    }
    if (t.text == "if") {
      next();
      s->kind = Stmt::Kind::kIf;
      Status st = expect(Tok::kLParen, "after 'if'");
      if (!st.isOk()) return st;
      Result<ExprPtr> cond = expr();
      if (!cond.isOk()) return cond.status();
      s->expr = std::move(cond.value());
      st = expect(Tok::kRParen, "to close the condition of 'if'");
      if (!st.isOk()) return st;
      Result<StmtPtr> then = branchBody();
      if (!then.isOk()) return then.status();
      s->body.push_back(std::move(then.value()));
      if (peek().type == Tok::kIdent && peek().text == "else") {
        next();
        Result<StmtPtr> other = branchBody();
        if (!other.isOk()) return other.status();
        s->body.push_back(std::move(other.value()));
      }
      return s;
    }
    if (t.text == "else") return errorAt(t, "'else' without a matching 'if'");
    if (t.text == "while") {
      next();
      s->kind = Stmt::Kind::kWhile;
      Status st = expect(Tok::kLParen, "after 'while'");
      if (!st.isOk()) return st;
      Result<ExprPtr> cond = expr();
      if (!cond.isOk()) return cond.status();
      s->expr = std::move(cond.value());
      st = expect(Tok::kRParen, "to close the condition of 'while'");
      if (!st.isOk()) return st;
      Result<StmtPtr> body = branchBody();
      if (!body.isOk()) return body.status();
      s->body.push_back(std::move(body.value()));
      return s;
    }
    if (t.text == "switch") return switchStatement(std::move(s));
    if (t.text == "case" || t.text == "default") {
      return errorAt(t, "'" + t.text + "' outside a switch");
    }
    if (t.text == "break") {
      next();
      s->kind = Stmt::Kind::kBreak;
      Status st = expect(Tok::kSemi, "after 'break'");
      if (!st.isOk()) return st;
      return s;
    }
    if (t.text == "exit" || t.text == "drop") {
      s->kind = t.text == "exit" ? Stmt::Kind::kExit : Stmt::Kind::kDrop;
      next();
      if (accept(Tok::kLParen)) {  // exit() and drop() are accepted too
        Status st = expect(Tok::kRParen, "after '('");
        if (!st.isOk()) return st;
      }
      Status st =
          expect(Tok::kSemi, s->kind == Stmt::Kind::kExit ? "after 'exit'" : "after 'drop'");
      if (!st.isOk()) return st;
      return s;
    }
    if (t.text == "return") {
      s->kind = Stmt::Kind::kReturn;
      next();
      if (peek().type != Tok::kSemi) {
        Result<ExprPtr> e = expr();
        if (!e.isOk()) return e.status();
        s->expr = std::move(e.value());
      }
      Status st = expect(Tok::kSemi, "after 'return'");
      if (!st.isOk()) return st;
      return s;
    }
    // A command call as a statement.
    if (peek(1).type != Tok::kLParen) {
      return errorAt(peek(1), "expected '(' after '" + t.text + "' (a function call), found " +
                                  describe(peek(1)));
    }
    Result<ExprPtr> call = primary();
    if (!call.isOk()) return call.status();
    s->kind = Stmt::Kind::kCall;
    s->expr = std::move(call.value());
    Status st = expect(Tok::kSemi, ("after the call to " + t.text + "()").c_str());
    if (!st.isOk()) return st;
    return s;
  }

  // switch (expr) { case VALUE: ... [break;] ... default: ... }
  Result<StmtPtr> switchStatement(StmtPtr s) {
    next();  // 'switch'
    s->kind = Stmt::Kind::kSwitch;
    Status st = expect(Tok::kLParen, "after 'switch'");
    if (!st.isOk()) return st;
    Result<ExprPtr> subject = expr();
    if (!subject.isOk()) return subject.status();
    s->expr = std::move(subject.value());
    st = expect(Tok::kRParen, "to close the subject of 'switch'");
    if (!st.isOk()) return st;
    st = expect(Tok::kLBrace, "to open the cases of 'switch'");
    if (!st.isOk()) return st;
    bool has_default = false;
    while (!accept(Tok::kRBrace)) {
      const Token& label = peek();
      if (label.type == Tok::kEnd) return errorAt(label, "missing '}' to close the switch");
      if (label.type != Tok::kIdent || (label.text != "case" && label.text != "default")) {
        return errorAt(label, "expected 'case' or 'default' in a switch, found " + describe(label));
      }
      auto c = std::make_unique<Stmt>();
      c->kind = Stmt::Kind::kCase;
      c->pos = posOf(label);
      next();
      if (label.text == "default") {
        if (has_default) return errorAt(label, "a switch has only one 'default'");
        has_default = true;
      } else {
        bool negative = accept(Tok::kMinus);
        const Token& v = peek();
        if (v.type != Tok::kInt && v.type != Tok::kString) {
          return errorAt(v, "expected a number or a string after 'case', found " + describe(v));
        }
        auto value = std::make_unique<Expr>();
        value->pos = posOf(v);
        value->kind = v.type == Tok::kInt ? Expr::Kind::kInt : Expr::Kind::kString;
        value->int_value = negative ? -v.int_value : v.int_value;
        value->text = v.text;
        if (negative && v.type != Tok::kInt) return errorAt(v, "'-' before a string");
        c->expr = std::move(value);
        next();
      }
      st = expect(Tok::kColon, "after the case label");
      if (!st.isOk()) return st;
      while (
          !(peek().type == Tok::kRBrace ||
            (peek().type == Tok::kIdent && (peek().text == "case" || peek().text == "default")))) {
        if (peek().type == Tok::kEnd) return errorAt(peek(), "missing '}' to close the switch");
        Result<StmtPtr> child = statement();
        if (!child.isOk()) return child.status();
        if (child.value()) c->body.push_back(std::move(child.value()));
      }
      s->body.push_back(std::move(c));
    }
    return s;
  }

  // The body of if/else: a block or a single statement.
  Result<StmtPtr> branchBody() {
    Result<StmtPtr> s = statement();
    if (!s.isOk()) return s;
    if (!s.value()) {
      auto empty = std::make_unique<Stmt>();
      empty->kind = Stmt::Kind::kBlock;
      return empty;
    }
    return s;
  }

  // Precedence, lowest first: || ; && ; ! ; comparison ; | ^ & ; + - ; * / % ; unary.
  // A leading '!' negates the whole comparison, as in OpenSIPS, whose grammar has the
  // comparison as one operand of '!': `!$ru == myself` is !($ru == myself) and
  // `!$rU == NULL` is !($rU == NULL), not (!$ru) == myself.
  Result<ExprPtr> expr() { return orExpr(); }

  ExprPtr binary(Expr::Kind kind, const Token& op, ExprPtr l, ExprPtr r) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = posOf(op);
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return e;
  }

  Result<ExprPtr> orExpr() {
    Result<ExprPtr> l = andExpr();
    if (!l.isOk()) return l;
    ExprPtr left = std::move(l.value());
    while (peek().type == Tok::kOr) {
      const Token& op = next();
      Result<ExprPtr> r = andExpr();
      if (!r.isOk()) return r;
      left = binary(Expr::Kind::kOr, op, std::move(left), std::move(r.value()));
    }
    return left;
  }

  Result<ExprPtr> andExpr() {
    Result<ExprPtr> l = compare();
    if (!l.isOk()) return l;
    ExprPtr left = std::move(l.value());
    while (peek().type == Tok::kAnd) {
      const Token& op = next();
      Result<ExprPtr> r = compare();
      if (!r.isOk()) return r;
      left = binary(Expr::Kind::kAnd, op, std::move(left), std::move(r.value()));
    }
    return left;
  }

  Result<ExprPtr> compare() {
    if (peek().type == Tok::kNot) {
      const Token& op = next();
      Result<ExprPtr> operand = compare();
      if (!operand.isOk()) return operand;
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kNot;
      e->pos = posOf(op);
      e->args.push_back(std::move(operand.value()));
      return e;
    }
    Result<ExprPtr> l = bitExpr();
    if (!l.isOk()) return l;
    static const struct {
      Tok tok;
      Expr::Kind kind;
    } kOps[] = {{Tok::kEq, Expr::Kind::kEq},       {Tok::kNe, Expr::Kind::kNe},
                {Tok::kMatch, Expr::Kind::kMatch}, {Tok::kNotMatch, Expr::Kind::kNotMatch},
                {Tok::kLt, Expr::Kind::kLt},       {Tok::kGt, Expr::Kind::kGt},
                {Tok::kLe, Expr::Kind::kLe},       {Tok::kGe, Expr::Kind::kGe}};
    for (const auto& o : kOps) {
      if (peek().type == o.tok) {
        const Token& op = next();
        if (ExprPtr name = keywordConstant(*l.value(), peek())) {
          next();
          return binary(o.kind, op, std::move(l.value()), std::move(name));
        }
        Result<ExprPtr> r = bitExpr();
        if (!r.isOk()) return r;
        return binary(o.kind, op, std::move(l.value()), std::move(r.value()));
      }
    }
    return l;
  }

  Result<ExprPtr> bitExpr() {
    Result<ExprPtr> l = additive();
    if (!l.isOk()) return l;
    ExprPtr left = std::move(l.value());
    while (peek().type == Tok::kBitAnd || peek().type == Tok::kBitOr ||
           peek().type == Tok::kBitXor) {
      const Token& op = next();
      Expr::Kind k = op.type == Tok::kBitAnd  ? Expr::Kind::kBitAnd
                     : op.type == Tok::kBitOr ? Expr::Kind::kBitOr
                                              : Expr::Kind::kBitXor;
      Result<ExprPtr> r = additive();
      if (!r.isOk()) return r;
      left = binary(k, op, std::move(left), std::move(r.value()));
    }
    return left;
  }

  Result<ExprPtr> additive() {
    Result<ExprPtr> l = multiplicative();
    if (!l.isOk()) return l;
    ExprPtr left = std::move(l.value());
    while (peek().type == Tok::kPlus || peek().type == Tok::kMinus) {
      const Token& op = next();
      Result<ExprPtr> r = multiplicative();
      if (!r.isOk()) return r;
      left = binary(op.type == Tok::kPlus ? Expr::Kind::kAdd : Expr::Kind::kSub, op,
                    std::move(left), std::move(r.value()));
    }
    return left;
  }

  Result<ExprPtr> multiplicative() {
    Result<ExprPtr> l = unary();
    if (!l.isOk()) return l;
    ExprPtr left = std::move(l.value());
    while (peek().type == Tok::kStar || peek().type == Tok::kSlash ||
           peek().type == Tok::kPercent) {
      const Token& op = next();
      Expr::Kind k = op.type == Tok::kStar    ? Expr::Kind::kMul
                     : op.type == Tok::kSlash ? Expr::Kind::kDiv
                                              : Expr::Kind::kMod;
      Result<ExprPtr> r = unary();
      if (!r.isOk()) return r;
      left = binary(k, op, std::move(left), std::move(r.value()));
    }
    return left;
  }

  Result<ExprPtr> unary() {
    if (peek().type == Tok::kNot || peek().type == Tok::kMinus || peek().type == Tok::kBitNot) {
      const Token& op = next();
      Result<ExprPtr> operand = unary();
      if (!operand.isOk()) return operand;
      auto e = std::make_unique<Expr>();
      e->kind = op.type == Tok::kNot     ? Expr::Kind::kNot
                : op.type == Tok::kMinus ? Expr::Kind::kNeg
                                         : Expr::Kind::kBitNot;
      e->pos = posOf(op);
      e->args.push_back(std::move(operand.value()));
      return e;
    }
    return primary();
  }

  Result<ExprPtr> primary() {
    const Token& t = peek();
    auto e = std::make_unique<Expr>();
    e->pos = posOf(t);
    switch (t.type) {
      case Tok::kInt:
        e->kind = Expr::Kind::kInt;
        e->int_value = t.int_value;
        next();
        return e;
      case Tok::kString:
        e->kind = Expr::Kind::kString;
        e->text = t.text;
        next();
        return e;
      case Tok::kPvar:
        e->kind = Expr::Kind::kPvar;
        e->text = t.text;
        next();
        return e;
      case Tok::kAddress:
        e->kind = Expr::Kind::kAddress;
        e->text = t.text;
        next();
        return e;
      case Tok::kLParen: {
        next();
        Result<ExprPtr> inner = expr();
        if (!inner.isOk()) return inner;
        Status st = expect(Tok::kRParen, "to close '('");
        if (!st.isOk()) return st;
        return inner;
      }
      case Tok::kIdent: {
        if (t.text == "myself") {
          e->kind = Expr::Kind::kMyself;
          next();
          return e;
        }
        if (t.text == "NULL") {
          e->kind = Expr::Kind::kNull;
          next();
          return e;
        }
        // msg:len, the length of the message ($ml).
        if (t.text == "msg" && peek(1).type == Tok::kColon && peek(2).type == Tok::kIdent &&
            peek(2).text == "len") {
          e->kind = Expr::Kind::kPvar;
          e->text = "ml";
          next();
          next();
          next();
          return e;
        }
        if (const char* pvar = keywordPvar(t.text);
            pvar != nullptr && peek(1).type != Tok::kLParen) {
          e->kind = Expr::Kind::kPvar;
          e->text = pvar;
          next();
          return e;
        }
        e->kind = Expr::Kind::kCall;
        e->text = t.text;
        next();
        if (!accept(Tok::kLParen)) {
          // OpenSIPS allows calling a command without arguments and without parentheses in
          // conditions only as a call; require them for clarity.
          return errorAt(peek(), "expected '(' after '" + e->text + "' (a function call), found " +
                                     describe(peek()));
        }
        if (accept(Tok::kRParen)) return e;
        while (true) {
          Result<ExprPtr> arg = callArg();
          if (!arg.isOk()) return arg;
          e->args.push_back(std::move(arg.value()));
          if (accept(Tok::kRParen)) break;
          if (!accept(Tok::kComma)) {
            return errorAt(peek(), "expected ',' or ')' in the arguments of " + e->text +
                                       "(), found " + describe(peek()));
          }
        }
        return e;
      }
      default:
        return errorAt(
            t, "expected a value, a pseudo-variable or a function call, found " + describe(t));
    }
  }

  // The bare names OpenSIPS 1.x compares its proto and af keywords with (proto == UDP,
  // af == INET6): the string the pseudo-variable reads ($proto "udp", $af "INET6"), or
  // nullptr when left is not such a keyword or t not such a name.
  ExprPtr keywordConstant(const Expr& left, const Token& t) {
    if (left.kind != Expr::Kind::kPvar || t.type != Tok::kIdent) return nullptr;
    std::string name = toLower(t.text);
    const char* value = nullptr;
    if (left.text == "proto") {
      for (const char* p : {"udp", "tcp", "tls", "sctp", "ws", "wss"}) {
        if (name == p) value = p;
      }
    } else if (left.text == "af") {
      if (name == "inet") value = "INET";
      if (name == "inet6") value = "INET6";
    }
    if (value == nullptr) return nullptr;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::kString;
    e->text = value;
    e->pos = posOf(t);
    return e;
  }

  // OpenSIPS 1.x core keywords of conditions (if (!uri==myself), if (method=="INVITE")): the
  // pseudo-variable each one reads; nullptr for another word.
  static const char* keywordPvar(const std::string& word) {
    static const struct {
      const char* keyword;
      const char* pvar;
    } kKeywords[] = {{"uri", "ru"},    {"method", "rm"},   {"from_uri", "fu"}, {"to_uri", "tu"},
                     {"src_ip", "si"}, {"src_port", "sp"}, {"dst_ip", "Ri"},   {"dst_port", "Rp"},
                     {"status", "rs"}, {"proto", "proto"}, {"af", "af"}};
    for (const auto& k : kKeywords) {
      if (word == k.keyword) return k.pvar;
    }
    return nullptr;
  }

  // Call arguments are literals, pseudo-variables or bare names (route(name)).
  Result<ExprPtr> callArg() {
    const Token& t = peek();
    if (t.type == Tok::kIdent && (peek(1).type == Tok::kComma || peek(1).type == Tok::kRParen)) {
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kString;
      e->text = t.text;
      e->pos = posOf(t);
      next();
      return e;
    }
    if (t.type == Tok::kMinus && peek(1).type == Tok::kInt) {
      next();
      auto e = std::make_unique<Expr>();
      e->kind = Expr::Kind::kInt;
      e->int_value = -peek().int_value;
      e->pos = posOf(t);
      next();
      return e;
    }
    if (t.type != Tok::kString && t.type != Tok::kInt && t.type != Tok::kPvar) {
      return errorAt(
          t, "expected an argument (string, number or pseudo-variable), found " + describe(t));
    }
    return primary();
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<ScriptAst> parseScript(const std::string& text, const std::string& file) {
  return parseScript(text, file, PreprocessOptions());
}

Result<ScriptAst> parseScript(const std::string& text, const std::string& file,
                              const PreprocessOptions& options) {
  Result<Preprocessed> pre = preprocess(text, file, options);
  if (!pre.isOk()) return pre.status();
  Result<ScriptAst> ast = Parser(std::move(pre.value().tokens)).run();
  if (!ast.isOk()) return ast;
  ast.value().warnings = std::move(pre.value().warnings);
  ast.value().files = std::move(pre.value().files);
  return ast;
}

}  // namespace sipline::script
