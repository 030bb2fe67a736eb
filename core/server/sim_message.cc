#include "core/server/sim_message.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/base/strings.h"

namespace sipline {
namespace {

bool hasBareLf(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return true;
  }
  return false;
}

std::string toCrlf(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) out += '\r';
    out += s[i];
  }
  return out;
}

// The Content-Length (or compact "l") header line of the header section: [begin, end) of its
// value. False when there is none.
bool findContentLength(const std::string& headers, std::size_t& begin, std::size_t& end) {
  std::size_t line = 0;
  while (line < headers.size()) {
    std::size_t eol = headers.find("\r\n", line);
    if (eol == std::string::npos) eol = headers.size();
    std::string_view l(headers.data() + line, eol - line);
    std::size_t colon = l.find(':');
    if (colon != std::string_view::npos && line != 0) {
      std::string_view name = trim(l.substr(0, colon));
      if (iequals(name, "Content-Length") || iequals(name, "l")) {
        begin = line + colon + 1;
        end = eol;
        return true;
      }
    }
    line = eol + 2;
  }
  return false;
}

}  // namespace

SimMessage prepareSimMessage(std::string raw) {
  SimMessage out;
  if (!hasBareLf(raw)) {
    out.text = std::move(raw);
    return out;
  }
  std::string text = toCrlf(raw);
  out.notes.push_back("bare LF line ends were converted to CRLF");
  while (text.compare(0, 2, "\r\n") == 0) text.erase(0, 2);  // blank lines before the start
  std::size_t blank = text.find("\r\n\r\n");
  std::string headers, body;
  if (blank == std::string::npos) {
    headers = text;
    while (headers.size() >= 2 && headers.compare(headers.size() - 2, 2, "\r\n") == 0) {
      headers.resize(headers.size() - 2);
    }
    out.notes.push_back("the blank line that ends the headers was added");
  } else {
    headers = text.substr(0, blank);
    body = text.substr(blank + 4);
    // An editor's final newlines are not part of the body.
    while (body.size() >= 4 && body.compare(body.size() - 4, 4, "\r\n\r\n") == 0) {
      body.resize(body.size() - 2);
    }
    if (body == "\r\n") body.clear();
  }
  std::size_t begin = 0, end = 0;
  if (findContentLength(headers, begin, end)) {
    std::string_view old_value = trim(std::string_view(headers).substr(begin, end - begin));
    std::string new_value = std::to_string(body.size());
    if (old_value != new_value) {
      out.notes.push_back("Content-Length " + std::string(old_value) + " was set to " + new_value +
                          " (the body's length with CRLF line ends)");
      headers.replace(begin, end - begin, " " + new_value);
    }
  }
  out.text = headers + "\r\n\r\n" + body;
  return out;
}

Result<SimMessage> readSimMessage(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::notFound(path + ": cannot read the message: " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  if (buf.str().empty()) return Status::invalidArgument(path + ": the message file is empty");
  return prepareSimMessage(buf.str());
}

}  // namespace sipline
