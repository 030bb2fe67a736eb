// The interpreter: the concrete statement and expression nodes of a compiled script and how
// each one runs. Built by the compiler (compiler.cc), walked per message. Private to
// core/script; process-private.
//
// Run-time errors go through runtimeError() (file:line:col of the action, rate-limited per
// action). Tracing (Exec::trace, the simulator) costs one null-pointer test per traced action
// when off.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "core/base/log.h"
#include "core/base/regex.h"
#include "core/parser/uri.h"
#include "core/script/nodes.h"
#include "core/script/trace.h"
#include "core/sip/msg_context.h"
#include "core/transport/listener.h"

namespace sipline::script {

inline constexpr int kMaxRouteDepth = 100;

// ---- expressions -------------------------------------------------------------------------

class ConstExpr : public ExprNode {
 public:
  explicit ConstExpr(Value v) : v_(std::move(v)) {}
  Value eval(Exec&) const override { return v_.isStr() ? Value::view(v_.str()) : v_; }

 private:
  Value v_;
};

class PvarExpr : public ExprNode {
 public:
  explicit PvarExpr(PvarRef ref) : ref_(std::move(ref)) {}
  Value eval(Exec& ex) const override { return ref_.get(ex.ctx); }

 private:
  PvarRef ref_;
};

class CallExpr : public ExprNode {
 public:
  bool mayChangeMessage() const override { return true; }
  CallExpr(BoundCallPtr call, std::string name) : call_(std::move(call)), name_(std::move(name)) {}
  Value eval(Exec& ex) const override { return Value::integer(test(ex)); }
  int test(Exec& ex) const override {
    // Tested before the call: the untraced path then keeps nothing alive across it.
    if (ex.trace != nullptr) [[unlikely]]
      return testTraced(ex);
    int rc = call_->run(ex.ctx).rc;
    ex.ctx.last_rc = rc;
    return rc;
  }

 private:
  int testTraced(Exec& ex) const;
  BoundCallPtr call_;
  std::string name_;
};

class RouteCallExpr : public ExprNode {
 public:
  bool mayChangeMessage() const override { return true; }
  explicit RouteCallExpr(const CompiledRoute* target) : target_(target) {}
  Value eval(Exec& ex) const override { return Value::integer(test(ex)); }
  int test(Exec& ex) const override {
    if (ex.depth >= kMaxRouteDepth) {
      runtimeError(ex, pos, error_rate,
                   "route(%s): more than %d nested route calls, stopping the script",
                   target_->name.c_str(), kMaxRouteDepth);
      return 0;
    }
    ++ex.depth;
    bool stop = false;
    int rc = target_->run(ex, &stop);
    --ex.depth;
    ex.ctx.last_rc = rc;
    // return(0) in a route stops the whole script, as exit does (OpenSIPS semantics).
    return stop ? 0 : rc;
  }

 private:
  const CompiledRoute* target_;  // declared in pass 1, so it exists before any body compiles
};

class NotExpr : public ExprNode {
 public:
  explicit NotExpr(ExprNodePtr e) : e_(std::move(e)) {}
  bool mayChangeMessage() const override { return e_->mayChangeMessage(); }
  Value eval(Exec& ex) const override {
    int t = test(ex);
    return Value::integer(t > 0 ? 1 : 0);
  }
  int test(Exec& ex) const override {
    int t = e_->test(ex);
    return t == 0 ? 0 : -t;
  }

 private:
  ExprNodePtr e_;
};

class LogicExpr : public ExprNode {
 public:
  LogicExpr(bool is_and, ExprNodePtr l, ExprNodePtr r)
      : is_and_(is_and), l_(std::move(l)), r_(std::move(r)) {}
  bool mayChangeMessage() const override {
    return l_->mayChangeMessage() || r_->mayChangeMessage();
  }
  Value eval(Exec& ex) const override { return Value::integer(test(ex) > 0 ? 1 : 0); }
  int test(Exec& ex) const override {
    int a = l_->test(ex);
    if (a == 0) return 0;
    if (is_and_ ? a < 0 : a > 0) return a > 0 ? 1 : -1;
    int b = r_->test(ex);
    if (b == 0) return 0;
    return b > 0 ? 1 : -1;
  }

 private:
  bool is_and_;
  ExprNodePtr l_, r_;
};

class CompareExpr : public ExprNode {
 public:
  // Both values not null: as integers when both are numbers, else as strings. -1, 0, 1.
  static int compare(const Value& a, const Value& b) {
    std::int64_t x = 0, y = 0;
    if ((a.isInt() || b.isInt()) && a.toInt(x) && b.toInt(y)) return x < y ? -1 : (x > y ? 1 : 0);
    int c = a.isStr() && b.isStr() ? a.str().compare(b.str()) : a.toString().compare(b.toString());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  static bool equal(const Value& a, const Value& b) {
    if (a.isNull() || b.isNull()) return a.isNull() && b.isNull();
    return compare(a, b) == 0;
  }

  CompareExpr(Expr::Kind op, ExprNodePtr l, ExprNodePtr r)
      : op_(op), l_(std::move(l)), r_(std::move(r)), keep_left_(r_->mayChangeMessage()) {}
  bool mayChangeMessage() const override {
    return l_->mayChangeMessage() || r_->mayChangeMessage();
  }
  Value eval(Exec& ex) const override { return Value::integer(test(ex) > 0 ? 1 : 0); }
  int test(Exec& ex) const override {
    Value a = l_->eval(ex);
    if (keep_left_) a = a.ownedCopy();  // see ExprNode::mayChangeMessage
    Value b = r_->eval(ex);
    if (a.isNull() || b.isNull()) {
      // Null equals only null; ordering against null is false.
      bool both = a.isNull() && b.isNull();
      if (op_ == Expr::Kind::kEq) return both ? 1 : -1;
      if (op_ == Expr::Kind::kNe) return both ? -1 : 1;
      return -1;
    }
    int cmp = compare(a, b);
    bool r = false;
    switch (op_) {
      case Expr::Kind::kEq:
        r = cmp == 0;
        break;
      case Expr::Kind::kNe:
        r = cmp != 0;
        break;
      case Expr::Kind::kLt:
        r = cmp < 0;
        break;
      case Expr::Kind::kGt:
        r = cmp > 0;
        break;
      case Expr::Kind::kLe:
        r = cmp <= 0;
        break;
      case Expr::Kind::kGe:
        r = cmp >= 0;
        break;
      default:
        break;
    }
    return r ? 1 : -1;
  }

 private:
  Expr::Kind op_;
  ExprNodePtr l_, r_;
  bool keep_left_;  // the right side may change the message
};

class MatchExpr : public ExprNode {
 public:
  MatchExpr(bool negate, ExprNodePtr l, std::unique_ptr<Regex> re, ExprNodePtr dynamic)
      : negate_(negate), l_(std::move(l)), re_(std::move(re)), dynamic_(std::move(dynamic)) {}
  bool mayChangeMessage() const override {
    return l_->mayChangeMessage() || (dynamic_ && dynamic_->mayChangeMessage());
  }
  Value eval(Exec& ex) const override { return Value::integer(test(ex) > 0 ? 1 : 0); }
  int test(Exec& ex) const override {
    Value v = l_->eval(ex);
    std::string text = v.toString();
    bool m;
    if (re_) {
      m = !v.isNull() && re_->matches(text);
    } else {
      Regex re;
      Status st = re.compile(dynamic_->eval(ex).toString());
      if (!st.isOk()) {
        runtimeError(ex, pos, error_rate, "%s", st.message().c_str());
        return -1;
      }
      m = !v.isNull() && re.matches(text);
    }
    return (m != negate_) ? 1 : -1;
  }

 private:
  bool negate_;
  ExprNodePtr l_;
  std::unique_ptr<Regex> re_;
  ExprNodePtr dynamic_;
};

// An IP network of the script (OpenSIPS's unquoted src_ip == 10.0.0.0/8): an address and a
// mask of the same family. A plain address has the full mask.
struct IpNetwork {
  int family = 0;  // AF_INET or AF_INET6
  unsigned char addr[16] = {};
  unsigned char mask[16] = {};
  // "10.0.0.1", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "2001:db8::/32", "[::1]"; false, with
  // *error set, when it is none of those.
  static bool parse(std::string_view text, IpNetwork& out, std::string* error);
  // True when ip (an address as $si reads it; brackets allowed) lies in the network.
  bool contains(std::string_view ip) const;
};

// `X == 10.0.0.0/8`, `X != ::1`: X read as an IP address lies in the network (a value that is
// no address, or of the other family, never does).
class NetworkExpr : public ExprNode {
 public:
  NetworkExpr(bool negate, ExprNodePtr l, IpNetwork net)
      : negate_(negate), l_(std::move(l)), net_(net) {}
  bool mayChangeMessage() const override { return l_->mayChangeMessage(); }
  Value eval(Exec& ex) const override { return Value::integer(test(ex) > 0 ? 1 : 0); }
  int test(Exec& ex) const override {
    Value v = l_->eval(ex);
    bool in = v.isStr() && net_.contains(v.str());
    return (in != negate_) ? 1 : -1;
  }

 private:
  bool negate_;
  ExprNodePtr l_;
  IpNetwork net_;
};

// `X == myself`: X is a URI (host and port checked) or a host (any port).
class MyselfExpr : public ExprNode {
 public:
  MyselfExpr(bool negate, ExprNodePtr l) : negate_(negate), l_(std::move(l)) {}
  Value eval(Exec& ex) const override { return Value::integer(test(ex) > 0 ? 1 : 0); }
  int test(Exec& ex) const override {
    Value v = l_->eval(ex);
    bool mine = false;
    if (v.isStr()) {
      std::string_view s = v.str();
      SipUri uri;
      if (s.find(':') != std::string_view::npos && parseUri(s, uri) == ParseError::kOk &&
          !uri.host.empty()) {
        std::uint16_t port = uri.port != 0                         ? uri.port
                             : uri.scheme == SipUri::Scheme::kSips ? 5061
                                                                   : 5060;
        mine = listeners().isMyself(uri.host, port);
      } else {
        mine = listeners().isMyself(s, 0);
      }
    }
    return (mine != negate_) ? 1 : -1;
  }

 private:
  bool negate_;
  ExprNodePtr l_;
};

// The script's `+`: integers add; a string on either side joins the texts (NULL reads as
// <null>, as in a format string). NULL, *error set, for anything else or an overflow.
inline Value scriptPlus(const Value& a, const Value& b, const char** error) {
  if (!(a.isInt() && b.isInt()) && (a.isStr() || b.isStr())) {
    return Value::owned(a.toString() + b.toString());
  }
  std::int64_t x = 0, y = 0, sum = 0;
  if (!a.toInt(x) || !b.toInt(y)) {
    *error = "arithmetic on a non-integer value";
    return Value::null();
  }
  if (__builtin_add_overflow(x, y, &sum)) {
    *error = "integer overflow";
    return Value::null();
  }
  return Value::integer(sum);
}

class ArithExpr : public ExprNode {
 public:
  ArithExpr(Expr::Kind op, ExprNodePtr l, ExprNodePtr r)
      : op_(op), l_(std::move(l)), r_(std::move(r)), keep_left_(r_ && r_->mayChangeMessage()) {}
  bool mayChangeMessage() const override {
    return l_->mayChangeMessage() || (r_ && r_->mayChangeMessage());
  }
  Value eval(Exec& ex) const override {
    Value a = l_->eval(ex);
    if (keep_left_) a = a.ownedCopy();  // see ExprNode::mayChangeMessage
    Value b = r_ ? r_->eval(ex) : Value::integer(0);
    if (op_ == Expr::Kind::kAdd) {
      const char* error = nullptr;
      Value sum = scriptPlus(a, b, &error);
      if (error != nullptr) fail(ex, error, a, b);
      return sum;
    }
    std::int64_t x = 0, y = 0, out = 0;
    bool ints = a.toInt(x) && (r_ == nullptr || b.toInt(y));
    if (!ints) {
      fail(ex, "arithmetic on a non-integer value", a, b);
      return Value::null();
    }
    switch (op_) {
      case Expr::Kind::kAdd:
        return Value::null();  // handled above
      case Expr::Kind::kSub:
        if (__builtin_sub_overflow(x, y, &out)) return overflow(ex);
        return Value::integer(out);
      case Expr::Kind::kMul:
        if (__builtin_mul_overflow(x, y, &out)) return overflow(ex);
        return Value::integer(out);
      case Expr::Kind::kDiv:
      case Expr::Kind::kMod:
        if (y == 0) {
          runtimeError(ex, pos, error_rate, "division by zero");
          return Value::null();
        }
        if (x == INT64_MIN && y == -1) return overflow(ex);
        return Value::integer(op_ == Expr::Kind::kDiv ? x / y : x % y);
      case Expr::Kind::kBitAnd:
        return Value::integer(x & y);
      case Expr::Kind::kBitOr:
        return Value::integer(x | y);
      case Expr::Kind::kBitXor:
        return Value::integer(x ^ y);
      case Expr::Kind::kNeg:
        if (x == INT64_MIN) return overflow(ex);
        return Value::integer(-x);
      case Expr::Kind::kBitNot:
        return Value::integer(~x);
      default:
        return Value::null();
    }
  }

 private:
  // Names the operand that is not an integer (the left one when both are not).
  void fail(Exec& ex, const char* what, const Value& a, const Value& b) const {
    std::int64_t x = 0;
    runtimeError(ex, pos, error_rate, "%s (%s)", what, traceLiteral(a.toInt(x) ? b : a).c_str());
  }
  Value overflow(Exec& ex) const {
    runtimeError(ex, pos, error_rate, "integer overflow");
    return Value::null();
  }

  Expr::Kind op_;
  ExprNodePtr l_, r_;
  bool keep_left_;  // the right side may change the message
};

// ---- statements --------------------------------------------------------------------------

class ExprStmt : public Node {
 public:
  explicit ExprStmt(ExprNodePtr e) : e_(std::move(e)) {}
  Flow run(Exec& ex) const override { return e_->test(ex) == 0 ? Flow::kExit : Flow::kNext; }

 private:
  ExprNodePtr e_;
};

class BlockStmt : public Node {
 public:
  std::vector<NodePtr> body;
  Flow run(Exec& ex) const override {
    for (const NodePtr& n : body) {
      Flow f = n->run(ex);
      if (f != Flow::kNext) return f;
    }
    return Flow::kNext;
  }
};

class IfStmt : public Node {
 public:
  IfStmt(ExprNodePtr cond, NodePtr then, NodePtr other)
      : cond_(std::move(cond)), then_(std::move(then)), else_(std::move(other)) {}
  Flow run(Exec& ex) const override {
    int t = cond_->test(ex);
    if (ex.trace != nullptr) ex.trace->condition(pos, "if", t);
    if (t == 0) return Flow::kExit;
    if (t > 0) return then_->run(ex);
    return else_ ? else_->run(ex) : Flow::kNext;
  }

 private:
  ExprNodePtr cond_;
  NodePtr then_, else_;
};

class ExitStmt : public Node {
 public:
  explicit ExitStmt(bool drop) : drop_(drop) {}
  Flow run(Exec& ex) const override {
    if (drop_) ex.ctx.dropped = true;
    if (ex.trace != nullptr) ex.trace->stop(pos, drop_ ? "drop" : "exit", 0);
    return Flow::kExit;
  }

 private:
  bool drop_;
};

class ReturnStmt : public Node {
 public:
  explicit ReturnStmt(ExprNodePtr value) : value_(std::move(value)) {}
  Flow run(Exec& ex) const override {
    std::int64_t rc = 1;
    if (value_) {
      Value v = value_->eval(ex);
      if (!v.toInt(rc)) rc = v.truthy() ? 1 : -1;
    }
    ex.ctx.last_rc = static_cast<int>(rc);
    if (ex.trace != nullptr) ex.trace->stop(pos, "return", ex.ctx.last_rc);
    return Flow::kReturn;
  }

 private:
  ExprNodePtr value_;
};

class AssignStmt : public Node {
 public:
  AssignStmt(PvarRef target, ExprNodePtr value, bool append)
      : target_(std::move(target)), value_(std::move(value)), append_(append) {}
  Flow run(Exec& ex) const override {
    Value v = value_->eval(ex);
    if (append_) {
      // `x += v` is `x = x + v`, except that a NULL x (not set yet) takes v: a counter or a
      // list can start with +=. An error leaves x as it was.
      Value current = target_.get(ex.ctx);
      if (!current.isNull()) {
        const char* error = nullptr;
        v = scriptPlus(current, v, &error);
        if (error != nullptr) {
          runtimeError(ex, pos, error_rate, "$%s += : %s", target_.text.c_str(), error);
          return Flow::kNext;
        }
      }
    }
    Status st = target_.spec->set(ex.ctx, target_, v);
    if (!st.isOk()) {
      runtimeError(ex, pos, error_rate, "cannot assign %s to $%s: %s", traceLiteral(v).c_str(),
                   target_.text.c_str(), st.message().c_str());
    } else if (ex.trace != nullptr) {
      ex.trace->assign(pos, target_.text, traceLiteral(v));
    }
    return Flow::kNext;
  }

 private:
  PvarRef target_;
  ExprNodePtr value_;
  bool append_;
};

class BreakStmt : public Node {
 public:
  Flow run(Exec&) const override { return Flow::kBreak; }
};

// switch: the first case equal to the subject (as `==` compares) runs, and execution falls
// through the following cases until `break` (OpenSIPS and C semantics); else `default`.
class SwitchStmt : public Node {
 public:
  struct Case {
    ExprNodePtr value;  // null for default
    std::vector<NodePtr> body;
    SourcePos pos;  // the `case`/`default` label, when the compiler sets it (line 0: unknown)
  };
  SwitchStmt(ExprNodePtr subject, std::vector<Case> cases)
      : subject_(std::move(subject)), cases_(std::move(cases)) {}
  Flow run(Exec& ex) const override {
    Value v = subject_->eval(ex);
    std::size_t start = cases_.size();
    for (std::size_t i = 0; i < cases_.size() && start == cases_.size(); ++i) {
      if (cases_[i].value && CompareExpr::equal(v, cases_[i].value->eval(ex))) start = i;
    }
    for (std::size_t i = 0; i < cases_.size() && start == cases_.size(); ++i) {
      if (!cases_[i].value) start = i;
    }
    if (ex.trace != nullptr) traceTaken(ex, v, start);
    for (std::size_t i = start; i < cases_.size(); ++i) {
      for (const NodePtr& n : cases_[i].body) {
        Flow f = n->run(ex);
        if (f == Flow::kBreak) return Flow::kNext;
        if (f != Flow::kNext) return f;
      }
    }
    return Flow::kNext;
  }

 private:
  // The label's position: set by the compiler, else the case value's or the first statement's.
  void traceTaken(Exec& ex, const Value& subject, std::size_t start) const {
    const SourcePos* taken = nullptr;
    if (start < cases_.size()) {
      const Case& c = cases_[start];
      taken = c.pos.line != 0   ? &c.pos
              : c.value         ? &c.value->pos
              : !c.body.empty() ? &c.body.front()->pos
                                : &pos;
    }
    ex.trace->switchTaken(pos, traceLiteral(subject), taken,
                          start < cases_.size() && !cases_[start].value);
  }

  ExprNodePtr subject_;
  std::vector<Case> cases_;
};

// while: bounded by max_while_loops; past the bound the loop stops with an error log.
class WhileStmt : public Node {
 public:
  WhileStmt(ExprNodePtr cond, NodePtr body) : cond_(std::move(cond)), body_(std::move(body)) {}
  Flow run(Exec& ex) const override {
    const int bound = maxWhileLoops();
    for (int i = 0;; ++i) {
      int t = cond_->test(ex);
      if (ex.trace != nullptr) ex.trace->condition(pos, "while", t);
      if (t == 0) return Flow::kExit;
      if (t < 0) return Flow::kNext;
      if (i >= bound) {
        runtimeError(ex, pos, error_rate,
                     "while loop stopped after %d iterations (max_while_loops); the script "
                     "goes on after the loop",
                     bound);
        return Flow::kNext;
      }
      Flow f = body_->run(ex);
      if (f == Flow::kBreak) return Flow::kNext;
      if (f != Flow::kNext) return f;
    }
  }

 private:
  ExprNodePtr cond_;
  NodePtr body_;
};

}  // namespace sipline::script
