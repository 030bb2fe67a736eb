#include "core/script/preprocess.h"

#include <filesystem>
#include <map>
#include <memory>

#include "core/base/strings.h"
#include "core/script/source_set.h"

namespace sipline::script {

namespace fs = std::filesystem;

namespace {

// clang-format off
constexpr const char* kReserved[] = {
    "route", "onreply_route", "failure_route", "branch_route", "error_route", "startup_route",
    "timer_route", "local_route", "if", "else", "switch", "case", "default", "while", "break",
    "return", "exit", "drop", "myself", "NULL", "include_file", "import_file",
};
constexpr const char* kDirectives[] = {
    "define", "trydef", "redefine", "undef", "ifdef", "ifndef", "else", "endif",
    "include_file", "import_file",
};
// clang-format on

std::string posText(const Token& t) { return t.pos().toString(); }

Status errorAt(const Token& t, const std::string& msg) {
  return Status::invalidArgument(posText(t) + ": " + msg);
}

// One #!ifdef / #!ifndef level of a file.
struct Cond {
  Token opened;  // the directive, for "not closed" errors
  bool parent_active = true;
  bool value = false;  // the tested condition
  bool in_else = false;
  bool active() const { return parent_active && (in_else ? !value : value); }
};

// One file being read: the include stack holds one per nesting level.
struct Frame {
  std::string text;      // owned here: the lexer views it
  std::string identity;  // canonical path, for cycle detection
  std::string dir;       // includes resolve against it
  std::unique_ptr<Lexer> lexer;
  std::vector<Cond> conds;
  bool active() const { return conds.empty() || conds.back().active(); }
};

class Preprocessor {
 public:
  explicit Preprocessor(const PreprocessOptions& options) : options_(options) {}

  Result<Preprocessed> run(const std::string& text, const std::string& file) {
    for (const Define& d : options_.defines) {
      if (isReservedWord(d.name)) {
        return Status::invalidArgument(d.where + ": '" + d.name +
                                       "' is a word of the script language and cannot be a "
                                       "define");
      }
      defines_[d.name] = d;
    }
    pushFrame(text, file);
    Token end;
    while (!stack_.empty()) {
      Frame& f = *stack_.back();
      if (!f.active()) f.lexer->skipToDirective();
      Result<Token> r = f.lexer->next();
      if (!r.isOk()) return r.status();
      Token& t = r.value();
      Status st;
      if (t.type == Tok::kEnd) {
        if (!f.conds.empty()) {
          const Token& open = f.conds.back().opened;
          return errorAt(open, "#!" + open.text + " is not closed by #!endif in this file");
        }
        if (stack_.size() == 1) end = t;
        stack_.pop_back();
        continue;
      }
      if (t.type == Tok::kDirective) {
        st = directive(f, t);
      } else if (t.type == Tok::kIdent && (t.text == "include_file" || t.text == "import_file")) {
        st = include(f, t, t.text == "import_file");
      } else if (t.type == Tok::kIdent && defines_.count(t.text)) {
        std::vector<std::string> active;
        st = expand(t, defines_.at(t.text), active);
      } else {
        out_.tokens.push_back(std::move(t));
      }
      if (!st.isOk()) return st;
    }
    out_.tokens.push_back(end);
    return std::move(out_);
  }

 private:
  void pushFrame(std::string text, const std::string& path) {
    auto f = std::make_unique<Frame>();
    f->text = std::move(text);
    f->identity = canonical(path);
    f->dir = fs::path(path).parent_path().string();
    f->lexer = std::make_unique<Lexer>(f->text, std::make_shared<const std::string>(path));
    out_.files.push_back(path);
    stack_.push_back(std::move(f));
  }

  static std::string canonical(const std::string& path) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
    return ec ? fs::path(path).lexically_normal().string() : p.string();
  }

  // include_file "path" / import_file "path" (the keyword `t` is already read).
  Status include(Frame& f, const Token& t, bool optional) {
    Result<Token> r = f.lexer->next();
    if (!r.isOk()) return r.status();
    const Token& name = r.value();
    if (name.type != Tok::kString || name.text.empty()) {
      return errorAt(name, "expected the quoted name of a file after " + t.text + ", e.g. " +
                               t.text + " \"common.routes\"");
    }
    f.lexer->acceptOnLine(';');
    fs::path p(name.text);
    std::string path = (p.is_absolute() ? p : fs::path(f.dir) / p).lexically_normal().string();
    const std::string id = canonical(path);
    for (const auto& open : stack_) {
      if (open->identity == id) {
        return errorAt(t, t.text + " \"" + name.text +
                              "\" includes a file that is already being "
                              "read (" +
                              chain(path) + ")");
      }
    }
    if (static_cast<int>(stack_.size()) > options_.max_include_depth) {
      return errorAt(t, t.text + " \"" + name.text + "\": files nested more than " +
                            std::to_string(options_.max_include_depth) + " deep (" + chain(path) +
                            ")");
    }
    // A process compiling a reload uses only the text the master read: the disk may have
    // changed since, and a file the master did not find did not exist for this script.
    bool replay = scriptSourcesReplaying();
    std::error_code ec;
    if (!replay && fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
      return errorAt(t, t.text + " \"" + name.text + "\": " + path + " is not a regular file");
    }
    // Through the reload machinery: a live reload compiles the very text the master checked.
    Result<std::string> text = readScriptSource(path);
    if (!text.isOk()) {
      if (optional && (replay || !fs::exists(path, ec))) {
        out_.warnings.push_back(posText(t) + ": import_file: " + path +
                                " does not exist, nothing imported");
        return Status::ok();
      }
      return errorAt(t, t.text + " \"" + name.text + "\": " + text.status().message());
    }
    pushFrame(std::move(text.value()), path);
    return Status::ok();
  }

  // "a.routes -> b.routes -> c.routes": the include stack plus `next`.
  std::string chain(const std::string& next) const {
    std::string out;
    for (const auto& f : stack_) out += *f->lexer->file() + " -> ";
    return out + next;
  }

  Status expand(const Token& use, const Define& d, std::vector<std::string>& active) {
    if (d.value.empty()) {
      return errorAt(use, d.name + " is defined without a value (at " + d.where +
                              "); only #!ifdef " + d.name + " can test it");
    }
    for (const std::string& a : active) {
      if (a == d.name) {
        std::string loop;
        for (const std::string& b : active) loop += b + " -> ";
        return errorAt(use, "define " + d.name + " refers to itself (" + loop + d.name + ")");
      }
    }
    active.push_back(d.name);
    for (const Token& v : d.value) {
      auto inner = v.type == Tok::kIdent ? defines_.find(v.text) : defines_.end();
      if (inner != defines_.end()) {
        Status st = expand(use, inner->second, active);
        if (!st.isOk()) return st;
        continue;
      }
      Token copy = v;  // the value's tokens take the place of use
      copy.file = use.file;
      copy.line = use.line;
      copy.col = use.col;
      out_.tokens.push_back(std::move(copy));
    }
    active.pop_back();
    return Status::ok();
  }

  // The name after #!define/#!ifdef/...
  Result<Token> directiveName(Frame& f, const Token& d) {
    Result<Token> r = f.lexer->nextOnLine();
    if (!r.isOk()) return r.status();
    if (r.value().type != Tok::kIdent) {
      return errorAt(r.value(), "expected a name after #!" + d.text);
    }
    return r;
  }

  // Nothing may follow on the line of #!else, #!endif, #!ifdef NAME, ...
  Status endOfDirective(Frame& f, const Token& d) {
    Result<Token> r = f.lexer->nextOnLine();
    if (!r.isOk()) return r.status();
    if (r.value().type != Tok::kEnd) {
      return errorAt(r.value(), "unexpected '" + r.value().text + "' after #!" + d.text);
    }
    return Status::ok();
  }

  Status directive(Frame& f, const Token& d) {
    const std::string& kw = d.text;
    if (kw == "ifdef" || kw == "ifndef") {
      Cond c;
      c.opened = d;
      c.parent_active = f.active();
      if (c.parent_active) {
        Result<Token> name = directiveName(f, d);
        if (!name.isOk()) return name.status();
        c.value = defines_.count(name.value().text) != 0;
        if (kw == "ifndef") c.value = !c.value;
        Status st = endOfDirective(f, d);
        if (!st.isOk()) return st;
      }
      f.conds.push_back(c);
      return Status::ok();
    }
    if (kw == "else") {
      if (f.conds.empty()) return errorAt(d, "#!else without #!ifdef or #!ifndef");
      Cond& c = f.conds.back();
      if (c.in_else) {
        return errorAt(d,
                       "a second #!else for the #!" + c.opened.text + " at " + posText(c.opened));
      }
      c.in_else = true;
      return c.parent_active ? endOfDirective(f, d) : Status::ok();
    }
    if (kw == "endif") {
      if (f.conds.empty()) return errorAt(d, "#!endif without #!ifdef or #!ifndef");
      const bool check = f.conds.back().parent_active;
      f.conds.pop_back();
      return check ? endOfDirective(f, d) : Status::ok();
    }
    if (!f.active()) return Status::ok();  // any other directive in skipped text
    if (kw == "define" || kw == "trydef" || kw == "redefine") return define(f, d);
    if (kw == "undef") {
      Result<Token> name = directiveName(f, d);
      if (!name.isOk()) return name.status();
      defines_.erase(name.value().text);
      return endOfDirective(f, d);
    }
    if (kw == "include_file" || kw == "import_file") {
      Token as_word = d;
      as_word.text = kw;
      return include(f, as_word, kw == "import_file");
    }
    // Kamailio's config-type markers (#!KAMAILIO at the top of a ported script): no meaning.
    if (kw == "KAMAILIO" || kw == "OPENSIPS" || kw == "SER" || kw == "MAXCOMPAT" || kw == "ALL") {
      return endOfDirective(f, d);
    }
    std::vector<std::string> known(std::begin(kDirectives), std::end(kDirectives));
    return errorAt(d, "unknown directive #!" + kw + didYouMean(kw, known));
  }

  Status define(Frame& f, const Token& d) {
    Result<Token> name = directiveName(f, d);
    if (!name.isOk()) return name.status();
    const Token& n = name.value();
    if (isReservedWord(n.text)) {
      return errorAt(n, "'" + n.text +
                            "' is a word of the script language and cannot be a "
                            "define");
    }
    Define def;
    def.name = n.text;
    def.where = posText(d);
    while (true) {
      Result<Token> v = f.lexer->nextOnLine();
      if (!v.isOk()) {
        return Status::invalidArgument(v.status().message() +
                                       " (a define's value is written as in the script: quote "
                                       "text, e.g. #!define GW \"10.0.0.5\")");
      }
      if (v.value().type == Tok::kEnd) break;
      def.value.push_back(std::move(v.value()));
    }
    auto existing = defines_.find(def.name);
    if (existing != defines_.end()) {
      if (d.text == "trydef") return Status::ok();
      if (d.text == "define") {
        return errorAt(n, def.name + " is already defined (at " + existing->second.where +
                              "); use #!redefine to change it, or #!trydef to define it only "
                              "where it is not defined yet");
      }
    }
    defines_[def.name] = std::move(def);
    return Status::ok();
  }

  const PreprocessOptions& options_;
  std::map<std::string, Define> defines_;
  std::vector<std::unique_ptr<Frame>> stack_;
  Preprocessed out_;
};

}  // namespace

bool isReservedWord(std::string_view name) {
  for (const char* w : kReserved) {
    if (name == w) return true;
  }
  return false;
}

Define stringDefine(std::string name, std::string value, std::string where) {
  Define d;
  d.name = std::move(name);
  d.where = std::move(where);
  Token t;
  t.type = Tok::kString;
  t.text = std::move(value);
  d.value.push_back(std::move(t));
  return d;
}

Define integerDefine(std::string name, std::int64_t value, std::string where) {
  Define d;
  d.name = std::move(name);
  d.where = std::move(where);
  if (value < 0) {
    Token minus;
    minus.type = Tok::kMinus;
    minus.text = "-";
    d.value.push_back(std::move(minus));
  }
  Token t;
  t.type = Tok::kInt;
  // The magnitude of INT64_MIN does not fit; the settings never produce it.
  t.int_value = value < 0 ? -value : value;
  t.text = std::to_string(t.int_value);
  d.value.push_back(std::move(t));
  return d;
}

Result<Preprocessed> preprocess(const std::string& text, const std::string& file,
                                const PreprocessOptions& options) {
  return Preprocessor(options).run(text, file);
}

}  // namespace sipline::script
