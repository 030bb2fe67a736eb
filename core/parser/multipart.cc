#include "core/parser/multipart.h"

#include "core/parser/lex.h"

namespace sipline {
namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046 §5.1.1

bool isPadding(char c) { return c == ' ' || c == '\t'; }

struct Delimiter {
  std::size_t pos = 0;   // of the "--"
  std::size_t next = 0;  // just past the delimiter line's line end (or the body end)
  bool close = false;
};

// RFC 2046 §5.1.1: a delimiter line is "--" boundary ["--"] transport-padding, at the start of
// a line and ended by a line end (or by the end of the body). dash_boundary is "--" boundary.
bool findDelimiter(std::string_view body, std::string_view dash_boundary, std::size_t from,
                   Delimiter& out) {
  for (std::size_t p = body.find(dash_boundary, from); p != std::string_view::npos;
       p = body.find(dash_boundary, p + 1)) {
    if (p != 0 && body[p - 1] != '\n') continue;
    std::size_t q = p + dash_boundary.size();
    bool close = false;
    if (q + 1 < body.size() && body[q] == '-' && body[q + 1] == '-') {
      close = true;
      q += 2;
    }
    while (q < body.size() && isPadding(body[q])) ++q;
    std::size_t next = 0;
    if (q == body.size()) {
      next = q;
    } else if (body[q] == '\n') {
      next = q + 1;
    } else if (body[q] == '\r' && (q + 1 == body.size() || body[q + 1] == '\n')) {
      next = q + 1 == body.size() ? q + 1 : q + 2;
    } else {
      continue;  // a line that merely begins with the delimiter: content
    }
    out.pos = p;
    out.next = next;
    out.close = close;
    return true;
  }
  return false;
}

// Parses the headers of the part in body[start, end) into part.
MultipartError parsePart(std::string_view body, std::size_t start, std::size_t end,
                         MimePart& part) {
  const std::string_view region = body.substr(0, end);
  part.offset = start;
  std::size_t pos = start;
  std::size_t body_start = end;
  std::size_t headers_end = end;
  std::size_t ct_start = std::string_view::npos;  // value start of an open Content-Type
  bool have_ct = false;
  bool first = true;
  for (;;) {
    if (pos >= end) break;
    const std::size_t lf = region.find('\n', pos);
    const std::size_t content_end = lf == std::string_view::npos ? end : lf;
    std::string_view line = region.substr(pos, content_end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t next = lf == std::string_view::npos ? end : lf + 1;
    const bool continuation = !line.empty() && isPadding(line[0]);
    if (!continuation && ct_start != std::string_view::npos) {
      part.content_type = lex::trimLws(body.substr(ct_start, pos - ct_start));
      ct_start = std::string_view::npos;
      have_ct = true;
    }
    if (line.empty()) {
      headers_end = pos;
      body_start = next;
      break;
    }
    if (continuation) {
      if (first) return MultipartError::kBadPartHeaders;
    } else {
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return MultipartError::kBadPartHeaders;
      const std::string_view name = lex::trimLws(line.substr(0, colon));
      if (name.empty() || lex::scanToken(name, 0) != name.size()) {
        return MultipartError::kBadPartHeaders;
      }
      if (!have_ct && lex::iequals(name, "Content-Type")) ct_start = pos + colon + 1;
    }
    first = false;
    pos = next;
  }
  if (ct_start != std::string_view::npos) {
    part.content_type = lex::trimLws(body.substr(ct_start, headers_end - ct_start));
  }
  part.headers = body.substr(start, headers_end - start);
  part.body = body.substr(body_start, end - body_start);
  part.body_offset = body_start;
  return MultipartError::kOk;
}

bool isMultipartType(std::string_view content_type) {
  const std::string_view type = mediaTypeOf(content_type);
  return type.size() > 10 && lex::iequals(type.substr(0, 10), "multipart/");
}

MultipartError findIn(std::string_view content_type, std::string_view body,
                      std::string_view type_subtype, int depth, std::string_view& content) {
  if (isMediaType(content_type, type_subtype)) {
    content = body;
    return MultipartError::kOk;
  }
  if (!isMultipartType(content_type)) return MultipartError::kNotFound;
  if (depth >= kMaxMultipartDepth) return MultipartError::kTooDeep;
  std::vector<MimePart> parts;
  const MultipartError e = parseMultipart(contentTypeParam(content_type, "boundary"), body, parts);
  if (e != MultipartError::kOk) return e;
  MultipartError result = MultipartError::kNotFound;
  for (const MimePart& part : parts) {
    const MultipartError pe =
        findIn(part.content_type, part.body, type_subtype, depth + 1, content);
    if (pe == MultipartError::kOk) return pe;
    if (result == MultipartError::kNotFound) result = pe;  // keep the first real error
  }
  return result;
}

}  // namespace

const char* multipartErrorText(MultipartError e) {
  switch (e) {
    case MultipartError::kOk:
      return "OK";
    case MultipartError::kBadBoundary:
      return "Bad multipart boundary";
    case MultipartError::kNoDelimiter:
      return "No multipart delimiter";
    case MultipartError::kNoCloseDelimiter:
      return "No multipart close delimiter";
    case MultipartError::kBadPartHeaders:
      return "Bad multipart part headers";
    case MultipartError::kTooManyParts:
      return "Too many multipart parts";
    case MultipartError::kTooDeep:
      return "Multipart nested too deep";
    case MultipartError::kNotFound:
      return "No such body part";
  }
  return "Unknown multipart error";
}

MultipartError parseMultipart(std::string_view boundary, std::string_view body,
                              std::vector<MimePart>& parts) {
  parts.clear();
  if (boundary.empty() || boundary.size() > kMaxBoundary) return MultipartError::kBadBoundary;
  char buf[kMaxBoundary + 2];
  buf[0] = '-';
  buf[1] = '-';
  boundary.copy(buf + 2, boundary.size());
  const std::string_view dash_boundary(buf, boundary.size() + 2);

  Delimiter d;
  if (!findDelimiter(body, dash_boundary, 0, d) || d.close) return MultipartError::kNoDelimiter;
  for (;;) {
    const std::size_t start = d.next;
    Delimiter n;
    if (!findDelimiter(body, dash_boundary, start, n)) return MultipartError::kNoCloseDelimiter;
    // The line end before a delimiter belongs to the delimiter, not to the part.
    std::size_t end = n.pos;
    if (end > start && body[end - 1] == '\n') --end;
    if (end > start && body[end - 1] == '\r') --end;
    if (parts.size() == kMaxMimeParts) return MultipartError::kTooManyParts;
    MimePart part;
    const MultipartError e = parsePart(body, start, end, part);
    if (e != MultipartError::kOk) return e;
    parts.push_back(part);
    if (n.close) return MultipartError::kOk;  // the rest is the epilogue
    d = n;
  }
}

std::string_view mediaTypeOf(std::string_view content_type) {
  return lex::trimLws(content_type.substr(0, content_type.find(';')));
}

bool isMediaType(std::string_view content_type, std::string_view type_subtype) {
  const std::string_view have = mediaTypeOf(content_type);
  const std::size_t hs = have.find('/');
  const std::size_t ws = type_subtype.find('/');
  if (hs == std::string_view::npos || ws == std::string_view::npos) return false;
  // RFC 3261 §25.1: SLASH = SWS "/" SWS.
  return lex::iequals(lex::trimLws(have.substr(0, hs)), type_subtype.substr(0, ws)) &&
         lex::iequals(lex::trimLws(have.substr(hs + 1)), type_subtype.substr(ws + 1));
}

std::string_view contentTypeParam(std::string_view content_type, std::string_view name) {
  std::size_t pos = content_type.find(';');
  while (pos != std::string_view::npos && pos < content_type.size()) {
    pos = lex::skipLws(content_type, pos + 1);  // past ';'
    std::size_t name_end = pos;
    while (name_end < content_type.size() && !lex::isLws(content_type[name_end]) &&
           content_type[name_end] != '=' && content_type[name_end] != ';') {
      ++name_end;
    }
    const std::string_view param = content_type.substr(pos, name_end - pos);
    std::size_t p = lex::skipLws(content_type, name_end);
    if (p >= content_type.size() || content_type[p] != '=') {
      pos = content_type.find(';', p);  // a flag parameter: skip it
      continue;
    }
    p = lex::skipLws(content_type, p + 1);
    std::string_view value;
    std::size_t v_end = p;
    if (p < content_type.size() && content_type[p] == '"') {
      v_end = lex::skipQuoted(content_type, p);
      if (v_end == std::string_view::npos) return {};
      value = content_type.substr(p + 1, v_end - p - 2);
    } else {
      while (v_end < content_type.size() && !lex::isLws(content_type[v_end]) &&
             content_type[v_end] != ';') {
        ++v_end;
      }
      value = content_type.substr(p, v_end - p);
    }
    if (!param.empty() && lex::iequals(param, name)) return value;
    pos = content_type.find(';', v_end);
  }
  return {};
}

MultipartError findBodyOfType(std::string_view content_type, std::string_view body,
                              std::string_view type_subtype, std::string_view& content,
                              std::size_t& offset) {
  std::string_view found;
  const MultipartError e = findIn(content_type, body, type_subtype, 0, found);
  if (e != MultipartError::kOk) return e;
  content = found;
  offset = static_cast<std::size_t>(found.data() - body.data());
  return MultipartError::kOk;
}

MultipartError findSdpBody(std::string_view content_type, std::string_view body,
                           std::string_view& sdp, std::size_t& offset) {
  return findBodyOfType(content_type, body, "application/sdp", sdp, offset);
}

}  // namespace sipline
