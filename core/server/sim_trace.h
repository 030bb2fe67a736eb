// The route simulator's trace: a ScriptTracer that writes the path a message takes through the
// routing script as text, one line per event, indented by route depth:
//
//   route (sipline.routes:6)
//     sipline.routes:10: sanity_check() -> 1
//     sipline.routes:10: if (!sanity_check()) -> false
//     sipline.routes:22: $du = "sip:192.0.2.9"
//     sipline.routes:23: exit
//   end of route (script stops)
//
// Conditions and calls are shown as written in the script: SourceText reads the file at the
// action's position (runtime never keeps script text). File names are shown relative to the
// main script's directory. Simulator-only; process-private.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/script/trace.h"

namespace sipline {

// Lines of script files, read on first use, and the snippets the trace quotes.
class SourceText {
 public:
  // `base_dir` is stripped from file names in shown positions ("" keeps them whole).
  explicit SourceText(std::string base_dir) : base_dir_(std::move(base_dir)) {}
  // "file:line" with the file relative to base_dir when it is below it.
  std::string where(const SourcePos& pos) const;
  // From the position to the parenthesis that closes the first '(' after it, across lines
  // (quoted strings skipped), blanks collapsed: `if ($rU == "a")`, `forward("udp:x")`. The
  // rest of the line when it cannot be found (file changed or unreadable: "?").
  std::string balancedFrom(const SourcePos& pos);
  // The line at pos, from its column, without the trailing comment or blanks.
  std::string lineFrom(const SourcePos& pos);
  // Text from pos up to a ':' outside quotes on the same line, for case labels.
  std::string labelFrom(const SourcePos& pos);

 private:
  const std::vector<std::string>* lines(const std::string& file);
  std::string base_dir_;
  std::map<std::string, std::vector<std::string>> files_;
};

class TracePrinter : public ScriptTracer {
 public:
  explicit TracePrinter(std::string base_dir) : source_(std::move(base_dir)) {}

  void enterRoute(const char* keyword, const std::string& name, const SourcePos& pos) override;
  void leaveRoute(const char* keyword, const std::string& name, int rc, bool stopped) override;
  void condition(const SourcePos& pos, const char* keyword, int result) override;
  void switchTaken(const SourcePos& pos, const std::string& subject, const SourcePos* taken,
                   bool is_default) override;
  void call(const SourcePos& pos, const std::string& name, int rc) override;
  void assign(const SourcePos& pos, const std::string& target, const std::string& value) override;
  void stop(const SourcePos& pos, const char* what, int rc) override;
  void error(const SourcePos& pos, const std::string& message) override;

  // A message left (was captured): shown on the line of the command that sent it, or, sent by
  // the core outside any command, on a line of its own.
  void sent(const std::string& what);
  // Shows the sends no command line took (call once, after the run).
  void finish();

  // The trace so far, with a note of the lines not shown past kMaxLines.
  std::string text() const;
  bool routeRan() const { return routes_entered_ > 0; }
  bool dropped() const { return dropped_; }
  int errors() const { return errors_; }

  // More lines than this are counted, not written (a long while loop).
  static constexpr int kMaxLines = 5000;

 private:
  void line(const std::string& text);
  void event(const SourcePos& pos, const std::string& text);

  void flushSent(const char* who);

  SourceText source_;
  std::vector<std::string> pending_sent_;
  std::string out_;
  int depth_ = 0;
  int lines_ = 0;
  int suppressed_ = 0;
  int routes_entered_ = 0;
  int errors_ = 0;
  bool dropped_ = false;
};

}  // namespace sipline
