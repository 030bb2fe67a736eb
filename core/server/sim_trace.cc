#include "core/server/sim_trace.h"

#include <fstream>

namespace sipline {
namespace {

constexpr int kMaxSnippetLines = 20;
constexpr std::size_t kMaxSnippet = 300;

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Appends c, turning any run of blanks into one space.
void appendCollapsed(std::string& out, char c) {
  if (isBlank(c)) {
    if (!out.empty() && out.back() != ' ') out += ' ';
  } else {
    out += c;
  }
}

std::string trimmed(std::string s) {
  while (!s.empty() && isBlank(s.back())) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && isBlank(s[b])) ++b;
  return s.substr(b);
}

// Where a line comment starts outside quotes (the script's '#' and '//'), or npos.
std::size_t commentStart(const std::string& line, std::size_t from) {
  char quote = 0;
  for (std::size_t i = from; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' || (c == '/' && i + 1 < line.size() && line[i + 1] == '/')) {
      return i;
    }
  }
  return std::string::npos;
}

const char* truth(int result) {
  return result > 0 ? "true" : result < 0 ? "false" : "stops the script (a command returned 0)";
}

}  // namespace

const std::vector<std::string>* SourceText::lines(const std::string& file) {
  auto it = files_.find(file);
  if (it == files_.end()) {
    std::vector<std::string> v;
    std::ifstream in(file, std::ios::binary);
    std::string l;
    while (std::getline(in, l)) v.push_back(l);
    it = files_.emplace(file, std::move(v)).first;
  }
  return &it->second;
}

std::string SourceText::where(const SourcePos& pos) const {
  std::string file = pos.file;
  if (!base_dir_.empty() && file.size() > base_dir_.size() + 1 &&
      file.compare(0, base_dir_.size(), base_dir_) == 0 && file[base_dir_.size()] == '/') {
    file = file.substr(base_dir_.size() + 1);
  }
  return file + ":" + std::to_string(pos.line);
}

std::string SourceText::balancedFrom(const SourcePos& pos) {
  const std::vector<std::string>* ls = lines(pos.file);
  if (pos.line < 1 || static_cast<std::size_t>(pos.line) > ls->size()) return "?";
  std::string out;
  int depth = 0;
  bool opened = false;
  char quote = 0;
  std::size_t col = pos.col > 0 ? static_cast<std::size_t>(pos.col - 1) : 0;
  for (int n = 0; n < kMaxSnippetLines; ++n) {
    std::size_t index = static_cast<std::size_t>(pos.line - 1 + n);
    if (index >= ls->size()) break;
    const std::string& l = (*ls)[index];
    std::size_t end = quote != 0 ? l.size() : std::min(l.size(), commentStart(l, col));
    for (std::size_t i = col; i < end; ++i) {
      char c = l[i];
      if (quote != 0) {  // string contents are shown as written
        out += c;
        if (c == '\\' && i + 1 < end) {
          out += l[++i];
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      appendCollapsed(out, c);
      if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '(') {
        ++depth;
        opened = true;
      } else if (c == ')' && --depth == 0 && opened) {
        return out;
      }
      if (out.size() > kMaxSnippet) return out + "...";
    }
    appendCollapsed(out, '\n');
    col = 0;
  }
  return trimmed(out) + "...";
}

std::string SourceText::lineFrom(const SourcePos& pos) {
  const std::vector<std::string>* ls = lines(pos.file);
  if (pos.line < 1 || static_cast<std::size_t>(pos.line) > ls->size()) return "?";
  const std::string& l = (*ls)[static_cast<std::size_t>(pos.line - 1)];
  std::size_t col = pos.col > 0 ? static_cast<std::size_t>(pos.col - 1) : 0;
  if (col >= l.size()) return "?";
  std::string out;
  std::size_t end = std::min(l.size(), commentStart(l, col));
  for (std::size_t i = col; i < end; ++i) appendCollapsed(out, l[i]);
  return trimmed(out);
}

std::string SourceText::labelFrom(const SourcePos& pos) {
  std::string text = lineFrom(pos);
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ':') {
      return text.substr(0, i + 1);
    }
  }
  return text;
}

void TracePrinter::line(const std::string& text) {
  if (lines_ >= kMaxLines) {
    ++suppressed_;
    return;
  }
  ++lines_;
  out_.append(static_cast<std::size_t>(2 * depth_), ' ');
  out_ += text;
  out_ += '\n';
}

void TracePrinter::event(const SourcePos& pos, const std::string& text) {
  line(source_.where(pos) + ": " + text);
}

std::string TracePrinter::text() const {
  if (suppressed_ == 0) return out_;
  return out_ + "... " + std::to_string(suppressed_) + " more trace lines not shown\n";
}

void TracePrinter::sent(const std::string& what) { pending_sent_.push_back(what); }

void TracePrinter::flushSent(const char* who) {
  for (const std::string& s : pending_sent_) line(std::string(who) + " " + s);
  pending_sent_.clear();
}

void TracePrinter::finish() { flushSent("the core"); }

void TracePrinter::enterRoute(const char* keyword, const std::string& name, const SourcePos& pos) {
  flushSent("the core");
  ++routes_entered_;
  std::string title = keyword;
  if (!name.empty()) title += "[" + name + "]";
  line(title + " (" + source_.where(pos) + ")");
  ++depth_;
}

void TracePrinter::leaveRoute(const char* keyword, const std::string& name, int rc, bool stopped) {
  if (depth_ > 0) --depth_;
  std::string title = keyword;
  if (!name.empty()) title += "[" + name + "]";
  line("end of " + title + (stopped ? " (script stops)" : " -> " + std::to_string(rc)));
}

void TracePrinter::condition(const SourcePos& pos, const char* keyword, int result) {
  (void)keyword;  // the snippet starts with it
  event(pos, source_.balancedFrom(pos) + " -> " + truth(result));
}

void TracePrinter::switchTaken(const SourcePos& pos, const std::string& subject,
                               const SourcePos* taken, bool is_default) {
  std::string text = source_.balancedFrom(pos) + ": " + subject + " -> ";
  if (taken == nullptr) {
    text += "no case matches";
  } else if (is_default) {
    text += "default (line " + std::to_string(taken->line) + ")";
  } else {
    std::string label = source_.labelFrom(*taken);
    if (label.compare(0, 5, "case ") != 0) label = "case " + label;  // the value's position
    text += label + " (line " + std::to_string(taken->line) + ")";
  }
  event(pos, text);
}

void TracePrinter::call(const SourcePos& pos, const std::string& name, int rc) {
  std::string shown = source_.balancedFrom(pos);
  if (shown.compare(0, name.size(), name) != 0) shown = name + "(...)";  // file changed since
  const char* meaning = rc > 0 ? "true" : rc < 0 ? "false" : "stops the script";
  std::string text = shown + " -> " + std::to_string(rc) + " (" + meaning + ")";
  for (const std::string& s : pending_sent_) text += "; " + s;
  pending_sent_.clear();
  event(pos, text);
}

void TracePrinter::assign(const SourcePos& pos, const std::string& target,
                          const std::string& value) {
  std::string written = source_.lineFrom(pos);
  if (!written.empty() && written.back() == ';') written.pop_back();
  written = trimmed(written);
  std::size_t op = written.find('=');
  std::string rhs = op == std::string::npos ? "" : trimmed(written.substr(op + 1));
  bool append = op != std::string::npos && op > 0 && written[op - 1] == '+';
  std::string text = "$" + target + (append ? " += " : " = ");
  text += rhs.empty() || rhs == value ? value : rhs + "  => " + value;
  event(pos, text);
}

void TracePrinter::stop(const SourcePos& pos, const char* what, int rc) {
  std::string text = what;
  if (text == "drop") dropped_ = true;
  if (text == "return") text += "(" + std::to_string(rc) + ")";
  event(pos, text);
}

void TracePrinter::error(const SourcePos& pos, const std::string& message) {
  ++errors_;
  line(source_.where(pos) + ":" + std::to_string(pos.col) + ": error: " + message);
}

}  // namespace sipline
