#include "tools/siplinectl/mgmt_output.h"

#include <cstdio>
#include <ctime>
#include <set>

#include "tools/siplinectl/tables.h"

namespace sipline::ctl {

const Json& field(const Json& object, const char* name) {
  static const Json kNull;
  if (!object.is_object()) return kNull;
  const auto it = object.find(name);
  return it == object.end() ? kNull : *it;
}

namespace {

std::string mib(const Json& bytes) {
  if (!bytes.is_number()) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", bytes.get<double>() / (1024.0 * 1024.0));
  return text;
}

void contactRows(const std::string& aor, const Json& contacts, TextTable& table,
                 std::size_t& count) {
  if (!contacts.is_array()) return;
  bool first = true;
  for (const Json& c : contacts) {
    const Json& expires = field(c, "expires");
    table.addRow(
        {first ? aor : "", cellText(field(c, "contact")),
         expires.is_number_integer() ? durationText(expires.get<std::int64_t>()) : "-",
         cellText(field(c, "q")), cellText(field(c, "flags")),
         field(c, "received").is_string() && !field(c, "received").get<std::string>().empty()
             ? field(c, "received").get<std::string>()
             : "-",
         field(c, "user_agent").is_string() && !field(c, "user_agent").get<std::string>().empty()
             ? field(c, "user_agent").get<std::string>()
             : "-"});
    first = false;
    ++count;
  }
}

}  // namespace

std::string cellText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.2f", value.get<double>());
    std::string s = text;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }
  if (value.is_boolean()) return value.get<bool>() ? "yes" : "no";
  if (value.is_null()) return "-";
  return value.dump();
}

std::string durationText(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), "%llds", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else if (seconds < 86400) {
    std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  } else {
    std::snprintf(text, sizeof(text), "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  }
  return text;
}

void printPs(const Json& result, std::ostream& out) {
  TextTable table({"ID", "PID", "ROLE", "INDEX", "LOAD(1m)", "HANDLED", "LEVEL", "NAME"});
  for (std::size_t c : {0, 1, 3, 4, 5}) table.alignRight(c);
  const Json& list = field(result, "processes");
  if (list.is_array()) {
    for (const Json& p : list) {
      const Json& load = field(field(p, "load"), "1m");
      table.addRow({cellText(field(p, "id")), cellText(field(p, "pid")), cellText(field(p, "role")),
                    cellText(field(p, "index")), load.is_number() ? cellText(load) + "%" : "-",
                    cellText(field(p, "handled")), cellText(field(p, "log_level")),
                    field(p, "name").is_string() ? cellText(field(p, "name")) : ""});
    }
  }
  table.print(out);
}

void printUptime(const Json& result, std::ostream& out) {
  const Json& up = field(result, "uptime");
  const Json& since = field(result, "up_since");
  out << "up " << (up.is_number_integer() ? durationText(up.get<std::int64_t>()) : "-");
  if (since.is_number_integer()) {
    const std::time_t t = static_cast<std::time_t>(since.get<std::int64_t>());
    std::tm tm{};
    char text[64];
    if (gmtime_r(&t, &tm) != nullptr && std::strftime(text, sizeof(text), "%F %T UTC", &tm) > 0) {
      out << " (since " << text << ")";
    }
  }
  out << "\n";
}

void printNameValues(const Json& result, std::ostream& out) {
  TextTable table({"NAME", "VALUE"});
  table.alignRight(1);
  if (result.is_object()) {
    for (const auto& [name, value] : result.items()) table.addRow({name, cellText(value)});
  }
  table.print(out);
}

void printShm(const Json& result, std::ostream& out) {
  TextTable table({"", "BYTES", "MIB"});
  table.alignRight(1);
  table.alignRight(2);
  for (const char* name : {"size", "used", "free", "max_used"}) {
    table.addRow({name, cellText(field(result, name)), mib(field(result, name))});
  }
  table.print(out);
  const Json& size = field(result, "size");
  const Json& used = field(result, "used");
  if (size.is_number() && used.is_number() && size.get<double>() > 0) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.1f", 100.0 * used.get<double>() / size.get<double>());
    out << text << "% used\n";
  }
}

void printContacts(const Json& result, std::ostream& out) {
  TextTable table({"AOR", "CONTACT", "EXPIRES IN", "Q", "FLAGS", "RECEIVED", "USER AGENT"});
  table.alignRight(2);
  std::size_t aors = 0, contacts = 0;
  std::string tables;
  if (field(result, "tables").is_array()) {
    for (const Json& t : field(result, "tables")) {
      if (field(t, "table").is_string()) {
        tables += (tables.empty() ? "" : ", ") + field(t, "table").get<std::string>();
      }
      if (!field(t, "aors").is_array()) continue;
      for (const Json& a : field(t, "aors")) {
        ++aors;
        contactRows(cellText(field(a, "aor")), field(a, "contacts"), table, contacts);
      }
    }
  } else {
    aors = 1;
    contactRows(cellText(field(result, "aor")), field(result, "contacts"), table, contacts);
  }
  if (table.rows() > 0) table.print(out);
  out << aors << (aors == 1 ? " AOR, " : " AORs, ") << contacts
      << (contacts == 1 ? " contact" : " contacts");
  if (!tables.empty()) out << " (table " << tables << ")";
  out << "\n";
}

Json onlineAors(const Json& dump) {
  std::set<std::string> names;
  if (field(dump, "tables").is_array()) {
    for (const Json& t : field(dump, "tables")) {
      if (!field(t, "aors").is_array()) continue;
      for (const Json& a : field(t, "aors")) {
        const Json& contacts = field(a, "contacts");
        if (field(a, "aor").is_string() && contacts.is_array() && !contacts.empty()) {
          names.insert(field(a, "aor").get<std::string>());
        }
      }
    }
  }
  Json list = Json::array();
  for (const std::string& n : names) list.push_back(n);
  return list;
}

void printLogLevels(const Json& result, std::ostream& out) {
  TextTable table({"PID", "ROLE", "INDEX", "LEVEL", "NAME"});
  table.alignRight(0);
  table.alignRight(2);
  const Json& list = field(result, "processes");
  if (list.is_array()) {
    for (const Json& p : list) {
      table.addRow({cellText(field(p, "pid")), cellText(field(p, "role")),
                    cellText(field(p, "index")), cellText(field(p, "log_level")),
                    field(p, "name").is_string() ? cellText(field(p, "name")) : ""});
    }
  }
  table.print(out);
}

std::string serverVersionText(const Json& result) {
  std::string text = field(result, "server").is_string()
                         ? field(result, "server").get<std::string>()
                         : "sipline " + cellText(field(result, "version"));
  if (field(result, "revision").is_string())
    text += " (" + field(result, "revision").get<std::string>() + ")";
  return text;
}

}  // namespace sipline::ctl
