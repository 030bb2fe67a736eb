#include "modules/acc/acc_record.h"

#include <zlib.h>

#include <cstdio>
#include <ctime>

#include "core/crypto/digest.h"
#include "core/db/schema.h"

namespace sipline::acc {
namespace {

constexpr std::string_view kVersion = "A1";

std::uint32_t crc32(std::string_view data) {
  return static_cast<std::uint32_t>(
      ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// Bytes written as they are in a spool line (everything but the escapes below).
bool plain(unsigned char c) { return c >= 0x20 && c != 0x7f && c != '\\'; }

void escapeInto(std::string& out, std::string_view v) {
  static const char kHex[] = "0123456789abcdef";
  // Runs of plain bytes in one append: most values have no escape at all.
  std::size_t i = 0;
  while (i < v.size()) {
    std::size_t run = i;
    while (run < v.size() && plain(static_cast<unsigned char>(v[run]))) ++run;
    out.append(v, i, run - i);
    if (run == v.size()) return;
    i = run + 1;
    auto c = static_cast<unsigned char>(v[run]);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:  // other control bytes
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unescape(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::size_t esc = in.find('\\', i);
    out.append(in, i, esc == std::string_view::npos ? in.size() - i : esc - i);
    if (esc == std::string_view::npos) return true;
    i = esc;
    if (++i >= in.size()) return false;
    switch (in[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x': {
        if (i + 2 >= in.size()) return false;
        int hi = hexValue(in[i + 1]);
        int lo = hexValue(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

const std::string* Row::get(std::string_view name) const {
  for (const Column& c : columns) {
    if (c.name == name) return c.value ? &*c.value : nullptr;
  }
  return nullptr;
}

std::string encodeLine(const Row& row) {
  std::string out(kVersion);
  out += '\t';
  out += row.table;
  for (const Column& c : row.columns) {
    out += '\t';
    out += c.name;
    if (c.value) {
      out += '=';
      escapeInto(out, *c.value);
    }
  }
  char sum[16];
  std::snprintf(sum, sizeof sum, "\t#%08x\n", static_cast<unsigned>(crc32(out)));
  out += sum;
  return out;
}

Result<Row> decodeLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t hash = line.rfind("\t#");
  if (hash == std::string_view::npos || line.size() - hash != 10) {
    return Status::invalidArgument("no checksum (a torn line?)");
  }
  unsigned want = 0;
  if (std::sscanf(std::string(line.substr(hash + 2)).c_str(), "%8x", &want) != 1) {
    return Status::invalidArgument("unreadable checksum");
  }
  std::string_view body = line.substr(0, hash);
  if (crc32(body) != want) return Status::invalidArgument("checksum mismatch (a damaged line)");
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (true) {
    std::size_t tab = body.find('\t', at);
    fields.push_back(body.substr(at, tab == std::string_view::npos ? tab : tab - at));
    if (tab == std::string_view::npos) break;
    at = tab + 1;
  }
  if (fields.size() < 3 || fields[0] != kVersion) {
    return Status::invalidArgument("not an A1 line with a table and columns");
  }
  Row row;
  row.table = std::string(fields[1]);
  if (!db::isSqlIdentifier(row.table, true)) {
    return Status::invalidArgument("bad table name '" + row.table + "'");
  }
  for (std::size_t i = 2; i < fields.size(); ++i) {
    std::string_view f = fields[i];
    std::size_t eq = f.find('=');
    Column c;
    c.name = std::string(f.substr(0, eq));
    if (!db::isSqlIdentifier(c.name, true))
      return Status::invalidArgument("bad column name '" + c.name + "'");
    if (eq != std::string_view::npos) {
      std::string v;
      if (!unescape(f.substr(eq + 1), v)) {
        return Status::invalidArgument("bad escape in column " + c.name);
      }
      c.value = std::move(v);
    }
    row.columns.push_back(std::move(c));
  }
  return row;
}

std::string accKey(std::string_view kind, std::string_view call_id, std::string_view from_tag,
                   std::string_view to_tag, std::string_view cseq, std::string_view method) {
  std::string identity;
  for (std::string_view part : {kind, call_id, from_tag, to_tag, cseq, method}) {
    identity += std::to_string(part.size());
    identity += ':';
    identity += part;
  }
  return crypto::digestHex(crypto::DigestAlgorithm::kSha256, identity);
}

std::string formatTimestamp(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  return buf;
}

}  // namespace sipline::acc
