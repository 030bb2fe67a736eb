#include "core/module/module_doc.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "core/mi/mi_registry.h"
#include "core/script/script_api.h"

namespace sipline {
namespace {

// Decodes one UTF-8 sequence at text[i]; returns its length (1 for an invalid byte, whose
// code point is then U+FFFD).
std::size_t decodeUtf8(std::string_view text, std::size_t i, std::uint32_t& cp) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  std::size_t len = b >= 0xf8 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 1;
  cp = len == 4 ? b & 0x07u : len == 3 ? b & 0x0fu : b & 0x1fu;
  if (len == 1 || i + len > text.size()) {
    cp = 0xfffd;
    return 1;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) {
      cp = 0xfffd;
      return 1;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3fu);
  }
  // Overlong forms, surrogates and code points past U+10FFFF are no characters.
  static constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kShortest[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
    cp = 0xfffd;
    return 1;
  }
  return len;
}

bool isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// roffText/roffCode; `all_minus`: every '-' is a minus, else only one that starts a word.
std::string escape(std::string_view text, bool all_minus) {
  std::string out;
  out.reserve(text.size() + 8);
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    if (out.empty() && (c == '.' || c == '\'')) out += "\\&";  // not a control line
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::uint32_t cp = 0;
      i += decodeUtf8(text, i, cp);
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", static_cast<unsigned>(cp));
      out += buf;
      continue;
    }
    if (c == '\\') {
      out += "\\e";
    } else if ((c == ',' || c == '|') && i + 1 < text.size() && text[i + 1] != ' ') {
      out += c;
      out += "\\:";  // a place to break a long list that has no spaces
    } else if (c == '-' && all_minus) {
      out += "\\-";
    } else if (c == '-' && (i == 0 || !isWordChar(text[i - 1]))) {
      // Hyphens that start a word ("-f", "--module-doc") are minus signs, as typed.
      std::size_t end = text.find_first_not_of('-', i);
      const bool option = end != std::string_view::npos && isWordChar(text[end]);
      for (; i < (end == std::string_view::npos ? text.size() : end); ++i) {
        out += option ? "\\-" : "-";
      }
      continue;
    } else {
      out += c;
    }
    ++i;
  }
  return out;
}

std::string bold(std::string_view code) { return "\\fB" + roffCode(code) + "\\fR"; }
std::string italic(std::string_view code) { return "\\fI" + roffCode(code) + "\\fR"; }

// Paragraphs of a description, split at empty lines.
std::vector<std::string_view> paragraphs(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    std::size_t end = text.find("\n\n");
    std::string_view para = text.substr(0, end);
    if (para.find_first_not_of(" \t\n") != std::string_view::npos) out.push_back(para);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 2);
  }
  return out;
}

// "(integer, default 60, 1 to 86400)": the type, the value the target held at describe()
// time and what applyParams() accepts.
std::string paramFacts(const ParamSpec& p) {
  std::string out = std::string("(") + paramTypeName(p.type);
  switch (p.type) {
    case ParamSpec::Type::kInt:
      if (p.int_target != nullptr) out += ", default " + roffCode(std::to_string(*p.int_target));
      if (p.range.min != INT64_MIN && p.range.max != INT64_MAX) {
        out += ", " + roffCode(std::to_string(p.range.min)) + " to " +
               roffCode(std::to_string(p.range.max));
      } else if (p.range.min != INT64_MIN) {
        out += ", at least " + roffCode(std::to_string(p.range.min));
      } else if (p.range.max != INT64_MAX) {
        out += ", at most " + roffCode(std::to_string(p.range.max));
      }
      break;
    case ParamSpec::Type::kStr:
      if (p.str_target != nullptr) out += ", default \"" + roffCode(*p.str_target) + "\"";
      if (!p.one_of.empty()) {
        out += ", one of";
        for (std::size_t i = 0; i < p.one_of.size(); ++i) {
          out += (i == 0 ? " " : ", ") + bold(p.one_of[i]);
        }
      }
      break;
    case ParamSpec::Type::kBool:
      if (p.bool_target != nullptr)
        out += std::string(", default ") + (*p.bool_target ? "true" : "false");
      break;
  }
  return out + ")";
}

// "save(table[, flags[, aor]])" with the names in italics; optional arguments are trailing.
std::string commandSignature(const CommandSpec& c) {
  std::string out = bold(c.name) + "(";
  int open = 0;
  for (std::size_t i = 0; i < c.args.size(); ++i) {
    const ArgSpec& a = c.args[i];
    if (a.optional) {
      out += "[";
      ++open;
    }
    out += (i == 0 ? "" : ", ") + italic(a.name);
  }
  return out + std::string(open, ']') + ")";
}

// Help texts of commands often open with their own signature ("save(table[, flags]): ...").
// The page prints the signature itself, so that prefix goes, unless it shows literal values
// (quotes: is_direction("downstream"|"upstream")) that the generated one cannot.
std::string_view commandHelpBody(const CommandSpec& c) {
  std::string_view help = c.help;
  if (help.substr(0, c.name.size() + 1) != c.name + "(") return help;
  int depth = 0;
  for (std::size_t i = c.name.size(); i < help.size(); ++i) {
    if (help[i] == '"' || help[i] == '\'') return help;
    if (help[i] == '(') ++depth;
    if (help[i] == ')' && --depth == 0) {
      if (help.substr(i + 1, 2) != ": ") return help;
      return help.substr(i + 3);
    }
  }
  return help;
}

std::string argFacts(const CommandSpec& c) {
  std::string out;
  for (const ArgSpec& a : c.args) {
    out += (out.empty() ? "Arguments: " : ", ") + italic(a.name) + " (" +
           (a.type == ArgSpec::Type::kInt ? "integer" : "string") +
           (a.optional ? ", optional)" : ")");
  }
  if (!out.empty()) out += ". ";
  const std::uint32_t mask = c.route_mask & kAnyRoute;
  return out + "Allowed in " +
         (mask == kAnyRoute ? std::string("every route") : roffCode(routeMaskNames(mask))) + ".";
}

std::string miSignature(const MiCommand& m) {
  std::string out = bold(m.name);
  for (const MiParamSpec& p : m.params) {
    out += p.optional ? " [" + italic(p.name) + "]" : " " + italic(p.name);
  }
  return out;
}

// Appends escaped text as lines of at most 80 bytes where spaces allow (mandoc's style
// limit; roff fills them again). A line broken off may not start as a control line.
void addText(std::string& out, std::string_view text) {
  constexpr std::size_t kWidth = 80;
  while (text.size() > kWidth) {
    std::size_t cut = text.rfind(' ', kWidth);
    if (cut == std::string_view::npos || cut == 0) cut = text.find(' ', kWidth);
    if (cut == std::string_view::npos) break;
    out.append(text.substr(0, cut)) += '\n';
    text.remove_prefix(cut + 1);
    if (!text.empty() && (text[0] == '.' || text[0] == '\'')) out += "\\&";
  }
  out.append(text) += '\n';
}

// The help text, or a visible gap that undocumentedItems() also reports.
std::string helpText(const std::string& help) {
  return help.empty() ? std::string("Undocumented.") : roffText(help);
}

void writeDependencies(const ModuleSpec& spec, std::string& out) {
  std::string needs, uses;
  for (const ModuleSpec::Dep& d : spec.deps()) {
    std::string& list = d.kind == Dependency::kRequired ? needs : uses;
    list += (list.empty() ? "" : ", ") + bold(d.module);
  }
  if (needs.empty() && uses.empty()) return;
  std::string text = needs.empty() ? "" : "Needs " + needs + ".";
  if (!uses.empty()) text += (text.empty() ? "Uses " : " Uses ") + uses + " when loaded.";
  out += ".PP\n";
  addText(out, text);
}

void writeParams(const ModuleSpec& spec, std::string& out) {
  if (spec.params().empty()) return;
  out += ".SS Parameters\n";
  for (const ParamSpec& p : spec.params()) {
    out += ".TP\n" + bold(p.name) + " " + paramFacts(p) + "\n";
    addText(out, helpText(p.help));
  }
}

void writeCommands(const ModuleSpec& spec, std::string& out) {
  if (spec.commands().empty()) return;
  out += ".SS Script commands\n";
  for (const CommandSpec& c : spec.commands()) {
    out += ".TP\n" + commandSignature(c) + "\n";
    std::string_view help = commandHelpBody(c);
    if (!help.empty()) {
      addText(out, roffText(help));
      out += ".br\n";
    }
    addText(out, argFacts(c));
  }
}

void writePvars(const ModuleSpec& spec, std::string& out) {
  if (spec.pvars().empty()) return;
  out += ".SS Pseudo-variables\n";
  for (const script::PvarSpec& p : spec.pvars()) {
    std::string name = "$" + std::string(p.name) + (p.needsArg() ? "(name)" : "");
    out += ".TP\n" + bold(name) + (p.set != nullptr ? " (read and write)" : " (read only)") + "\n";
    addText(out, helpText(p.help != nullptr ? p.help : ""));
  }
}

void writeMi(const ModuleSpec& spec, std::string& out) {
  if (spec.miCommands().empty()) return;
  out += ".SS MI commands\n";
  for (const MiCommand& m : spec.miCommands()) {
    out += ".TP\n" + miSignature(m) + "\n";
    addText(out, helpText(m.help));
    if (m.params.empty()) continue;
    out += ".RS\n";
    for (const MiParamSpec& p : m.params) {
      out += ".TP\n" + italic(p.name) + " (" + miParamTypeName(p.type) +
             (p.optional ? ", optional)" : ")") + "\n";
      addText(out, helpText(p.help));
    }
    out += ".RE\n";
  }
}

void writeStats(const ModuleSpec& spec, std::string& out) {
  if (spec.statDecls().empty()) return;
  out += ".SS Statistics\n";
  for (const ModuleSpec::StatDecl& s : spec.statDecls()) {
    out += ".TP\n" + bold(spec.module() + ":" + s.name) + " (" +
           (s.kind == StatKind::kGauge ? "gauge" : "counter");
    if (!s.labels.empty()) {
      std::string labels;
      for (const auto& [name, value] : s.labels.pairs) {
        labels += (labels.empty() ? "" : ",") + name + "=\"" + value + "\"";
      }
      out += "; " + bold(labels) + " of the family " + bold(s.labels.family);
    }
    out += ")\n";
    addText(out, helpText(s.help));
  }
}

void writeModule(const ModuleSpec& spec, std::string& out) {
  out += ".SH MODULE " + roffCode(spec.module()) + "\n";
  addText(out, spec.summary().empty() ? std::string("No summary.") : roffText(spec.summary()));
  for (std::string_view para : paragraphs(spec.description())) {
    out += ".PP\n";
    addText(out, roffText(para));
  }
  writeDependencies(spec, out);
  writeParams(spec, out);
  writeCommands(spec, out);
  writePvars(spec, out);
  writeMi(spec, out);
  writeStats(spec, out);
}

// clang-format off
const char kDescription[] =
    ".SH DESCRIPTION\n"
    // Left-adjusted: signatures and lists without spaces cannot be spread to a full line.
    ".ad l\n"
    "A module adds parameters, routing-script commands and pseudo-variables,\n"
    "management (MI) commands and statistics to\n"
    ".BR sipline (8).\n"
    "Each is a file \\fINAME\\fB.so\\fR in the module directory, the \\fBmpath\\fR\n"
    "setting of\n"
    ".BR sipline.cfg (5).\n"
    "The \\fBmodules\\fR group of that file says which modules to load, one member\n"
    "per module, in file order; each member is a group with the module's parameters:\n"
    ".PP\n"
    ".RS\n"
    ".nf\n"
    "modules = {\n"
    "  usrloc = { db_mode = \"memory\"; };\n"
    "  registrar = { max_contacts = 10; };\n"
    "};\n"
    ".fi\n"
    ".RE\n"
    ".PP\n"
    "Parameters are typed and checked when the settings load: an unknown name, or a\n"
    "value of the wrong type, out of range or not among the allowed values, stops the\n"
    "start with the file and line. A parameter that is not set keeps the default\n"
    "shown below.\n"
    ".PP\n"
    "A module may need another one. It is an error to load it without that module,\n"
    "and the message names both. Whatever the order in the file, a module starts\n"
    "after the modules it needs or uses, and stops before them.\n"
    ".PP\n"
    "Script commands are called from the routing script,\n"
    ".BR sipline.routes (5),\n"
    "only in the routes listed for them; their arguments are checked when the script\n"
    "loads. Optional arguments are in brackets. A command returns true when its value\n"
    "is positive and false when it is negative; 0 stops the script.\n"
    "MI commands are served on the management socket and called with\n"
    ".BR siplinectl (8)\n"
    "as \\fBsiplinectl mi\\fR \\fIcommand\\fR [\\fIvalue\\fR|\\fIname\\fB=\\fIvalue\\fR]...;\n"
    "optional params are in brackets.\n"
    "Statistics are named \\fImodule\\fB:\\fIname\\fR; see STATISTICS in\n"
    ".BR sipline (8).\n"
    ".PP\n"
    "This page is generated from the modules themselves by\n"
    "\\fBsipline \\-\\-module\\-doc\\fR and lists the modules of the directory it was\n"
    "made from.\n";
// clang-format on

}  // namespace

std::string roffText(std::string_view text) { return escape(text, false); }
std::string roffCode(std::string_view text) { return escape(text, true); }

std::string moduleManPage(const std::vector<const ModuleSpec*>& specs, const ManPageInfo& info) {
  std::vector<const ModuleSpec*> sorted = specs;
  std::sort(sorted.begin(), sorted.end(),
            [](const ModuleSpec* a, const ModuleSpec* b) { return a->module() < b->module(); });
  std::string out =
      ".TH SIPLINE-MODULES 7 \"" + info.date + "\" \"" + info.source + "\" \"Sipline Manual\"\n";
  out += ".SH NAME\nsipline-modules \\- parameters, commands and statistics of the modules\n";
  out += kDescription;
  for (const ModuleSpec* spec : sorted) writeModule(*spec, out);
  out +=
      ".SH SEE ALSO\n.BR sipline (8),\n.BR sipline.cfg (5),\n.BR sipline.routes (5),\n"
      ".BR siplinectl (8)\n";
  return out;
}

std::vector<std::string> undocumentedItems(const ModuleSpec& spec) {
  std::vector<std::string> out;
  const std::string where = "module '" + spec.module() + "'";
  if (spec.summary().empty()) out.push_back(where + " has no summary");
  for (const ParamSpec& p : spec.params()) {
    if (p.help.empty()) out.push_back(where + ": parameter '" + p.name + "' has no help");
  }
  for (const CommandSpec& c : spec.commands()) {
    if (c.help.empty()) out.push_back(where + ": script command '" + c.name + "' has no help");
  }
  for (const script::PvarSpec& p : spec.pvars()) {
    if (p.help == nullptr || *p.help == '\0') {
      out.push_back(where + ": pseudo-variable '$" + std::string(p.name) + "' has no help");
    }
  }
  for (const MiCommand& m : spec.miCommands()) {
    if (m.help.empty()) out.push_back(where + ": MI command '" + m.name + "' has no help");
    for (const MiParamSpec& p : m.params) {
      if (p.help.empty()) {
        out.push_back(where + ": MI command '" + m.name + "': param '" + p.name + "' has no help");
      }
    }
  }
  for (const ModuleSpec::StatDecl& s : spec.statDecls()) {
    if (s.help.empty()) out.push_back(where + ": statistic '" + s.name + "' has no help");
  }
  return out;
}

}  // namespace sipline
