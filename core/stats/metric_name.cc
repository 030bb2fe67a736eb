#include "core/stats/metric_name.h"

namespace sipline {
namespace {

constexpr std::string_view kTotal = "_total";

bool endsWithTotal(std::string_view s) {
  return s.size() >= kTotal.size() && s.substr(s.size() - kTotal.size()) == kTotal;
}

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':';
}

}  // namespace

std::string sanitizeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out.push_back('_');
  for (char c : name) out.push_back(isNameChar(c) ? c : '_');
  return out;
}

std::string metricStem(std::string_view group, std::string_view name) {
  std::string full = "sipline_";
  full.append(group).append("_").append(name);
  std::string out = sanitizeMetricName(full);
  if (endsWithTotal(out)) out.resize(out.size() - kTotal.size());
  return out;
}

std::string metricName(std::string_view group, std::string_view name, bool counter) {
  std::string full = "sipline_";
  full.append(group).append("_").append(name);
  std::string out = sanitizeMetricName(full);
  if (counter && !endsWithTotal(out)) out.append(kTotal);
  return out;
}

bool isReservedMetricStem(std::string_view stem) {
  return stem.substr(0, 16) == "sipline_process_" || stem == "sipline_start_time_seconds" ||
         stem == "sipline_build_info";
}

}  // namespace sipline
