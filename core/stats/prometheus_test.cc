#include "core/stats/prometheus.h"

#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "core/shm/segment.h"
#include "core/stats/metric_name.h"

namespace sipline {
namespace {

// A tiny strict reader of the text format 0.0.4 as this renderer writes it: every family has
// "# HELP" then "# TYPE" (once), then its samples, all under the family's exact name; names
// and label names match the grammar; label values and help texts use only the escapes \\, \"
// (label values) and \n; every value is a number; no series twice; the text ends in "\n".
// Returns "" or the first problem with its line number; fills `series` ("name{labels}" ->
// value) and `types` (family -> type).
class ExpositionReader {
 public:
  std::string read(const std::string& text) {
    if (text.empty() || text.back() != '\n') return "text does not end with a newline";
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      std::string problem = readLine(line);
      if (!problem.empty()) return "line " + std::to_string(n) + ": " + problem + ": " + line;
    }
    return "";
  }
  std::map<std::string, double> series;
  std::map<std::string, std::string> types;

 private:
  static bool nameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }
  static bool nameChar(char c) { return nameStart(c) || (c >= '0' && c <= '9'); }
  static bool validName(const std::string& s, bool colon_ok) {
    if (s.empty() || !nameStart(s[0]) || (!colon_ok && s[0] == ':')) return false;
    for (char c : s) {
      if (!nameChar(c) || (!colon_ok && c == ':')) return false;
    }
    return true;
  }
  static bool validEscapes(const std::string& s, bool quote_ok) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '"' && quote_ok) return false;  // unescaped quote inside a label value
      if (s[i] != '\\') continue;
      if (++i == s.size()) return false;
      if (s[i] != '\\' && s[i] != 'n' && !(quote_ok && s[i] == '"')) return false;
    }
    return true;
  }

  std::string readLine(const std::string& line) {
    if (line.empty()) return "empty line";
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      std::size_t sp = rest.find(' ');
      std::string name = rest.substr(0, sp);
      if (!validName(name, true)) return "bad name in HELP";
      if (seen_.count(name) != 0) return "family seen before";
      seen_.insert(name);
      current_ = name;
      help_done_ = true;
      type_done_ = false;
      if (sp != std::string::npos && !validEscapes(rest.substr(sp + 1), false)) {
        return "bad escape in HELP";
      }
      return "";
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::size_t sp = rest.find(' ');
      if (sp == std::string::npos) return "TYPE without a type";
      std::string name = rest.substr(0, sp), type = rest.substr(sp + 1);
      if (name != current_ || !help_done_ || type_done_) return "TYPE not right after HELP";
      if (type != "counter" && type != "gauge") return "unexpected type";
      bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
      if ((type == "counter") != total) {
        return "_total suffix and type disagree";
      }
      types[name] = type;
      type_done_ = true;
      return "";
    }
    if (line[0] == '#') return "unexpected comment";
    if (!type_done_) return "sample before TYPE";
    std::size_t end = 0;
    while (end < line.size() && nameChar(line[end])) ++end;
    std::string name = line.substr(0, end);
    if (name != current_) return "sample outside its family";
    std::string labels;
    if (end < line.size() && line[end] == '{') {
      std::size_t close = end + 1;
      std::set<std::string> label_names;
      while (true) {
        std::size_t eq = line.find("=\"", close);
        if (eq == std::string::npos) return "label without =\"";
        std::string label = line.substr(close, eq - close);
        if (!validName(label, false) || label.rfind("__", 0) == 0) return "bad label name";
        if (!label_names.insert(label).second) return "label twice";
        std::size_t v = eq + 2;
        while (v < line.size() && line[v] != '"') v += line[v] == '\\' ? 2 : 1;
        if (v >= line.size()) return "unterminated label value";
        if (!validEscapes(line.substr(eq + 2, v - eq - 2), true)) return "bad escape in label";
        close = v + 1;
        if (close < line.size() && line[close] == ',') {
          ++close;
          continue;
        }
        if (close < line.size() && line[close] == '}') break;
        return "label list not closed";
      }
      labels = line.substr(end, close + 1 - end);
      end = close + 1;
    }
    if (end >= line.size() || line[end] != ' ') return "no space before the value";
    std::string value = line.substr(end + 1);
    char* stop = nullptr;
    double d = std::strtod(value.c_str(), &stop);
    if (value.empty() || *stop != '\0') return "value is not a number";
    if (!series.emplace(name + labels, d).second) return "series twice";
    return "";
  }

  std::set<std::string> seen_;
  std::string current_;
  bool help_done_ = false, type_done_ = false;
};

}  // namespace

class PrometheusTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PrometheusTest);
  CPPUNIT_TEST(counterGetsTotalSuffixAndGaugeDoesNot);
  CPPUNIT_TEST(helpAndTypeComeOncePerFamily);
  CPPUNIT_TEST(labelledFamilyIsOneMetric);
  CPPUNIT_TEST(helpIsEscaped);
  CPPUNIT_TEST(labelValuesAreEscaped);
  CPPUNIT_TEST(missingHelpGetsOne);
  CPPUNIT_TEST(computedValuesAreGauges);
  CPPUNIT_TEST(namesAreSanitized);
  CPPUNIT_TEST(processMetricsSkipEmptySlots);
  CPPUNIT_TEST(loadIsAShareWithAWindowLabel);
  CPPUNIT_TEST(withoutProcessTableOnlyStatistics);
  CPPUNIT_TEST(outputIsDeterministicAndParses);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    segment_ = std::move(shm::Segment::create(1 << 20).value());
    materialized_.clear();
    table_ = std::make_unique<ProcessTable>();
  }
  void tearDown() override {
    table_.reset();
    segment_.reset();
  }

  void counterGetsTotalSuffixAndGaugeDoesNot() {
    StatsRegistry r;
    StatCounter c, g;
    CPPUNIT_ASSERT(r.declare("tm", "uas_transactions", &c, StatKind::kCounter, "created").isOk());
    CPPUNIT_ASSERT(r.declare("tm", "inuse", &g, StatKind::kGauge, "in the table").isOk());
    bind(r, c, 12);
    bind(r, g, 3);
    std::string text = renderPrometheus(r, nullptr);
    contains(text,
             "# HELP sipline_tm_uas_transactions_total created\n"
             "# TYPE sipline_tm_uas_transactions_total counter\n"
             "sipline_tm_uas_transactions_total 12\n");
    contains(text,
             "# HELP sipline_tm_inuse in the table\n"
             "# TYPE sipline_tm_inuse gauge\n"
             "sipline_tm_inuse 3\n");
    // A counter already ending in _total keeps a single suffix.
    CPPUNIT_ASSERT_EQUAL(std::string("sipline_g_bytes_total"),
                         metricName("g", "bytes_total", true));
  }

  void helpAndTypeComeOncePerFamily() {
    StatsRegistry r;
    StatCounter a, b, c;
    declareMethod(r, "a", &a, "INVITE");
    declareMethod(r, "b", &b, "BYE");
    declareMethod(r, "c", &c, "ACK");
    std::string text = renderPrometheus(r, nullptr);
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), count(text, "# HELP sipline_core_rcv_by_method_total"));
    CPPUNIT_ASSERT_EQUAL(std::size_t(1), count(text, "# TYPE sipline_core_rcv_by_method_total"));
    expectParses(text);
  }

  void labelledFamilyIsOneMetric() {
    StatsRegistry r;
    StatCounter plain, invite, other;
    CPPUNIT_ASSERT(r.declare("core", "rcv_requests", &plain, StatKind::kCounter, "all").isOk());
    declareMethod(r, "rcv_requests_invite", &invite, "INVITE");
    declareMethod(r, "rcv_requests_other", &other, "other");
    bind(r, plain, 5);
    bind(r, invite, 4);
    bind(r, other, 1);
    std::string text = renderPrometheus(r, nullptr);
    contains(text,
             "# HELP sipline_core_rcv_by_method_total by method\n"
             "# TYPE sipline_core_rcv_by_method_total counter\n"
             "sipline_core_rcv_by_method_total{method=\"INVITE\"} 4\n"
             "sipline_core_rcv_by_method_total{method=\"other\"} 1\n");
    contains(text, "sipline_core_rcv_requests_total 5\n");
    CPPUNIT_ASSERT(text.find("rcv_requests_invite") == std::string::npos);
  }

  void helpIsEscaped() {
    CPPUNIT_ASSERT_EQUAL(std::string("a\\\\b\\nc \"q\""), escapePrometheusHelp("a\\b\nc \"q\""));
    StatsRegistry r;
    StatCounter c;
    CPPUNIT_ASSERT(r.declare("g", "x", &c, StatKind::kCounter, "two\nlines \\ here").isOk());
    contains(renderPrometheus(r, nullptr), "# HELP sipline_g_x_total two\\nlines \\\\ here\n");
  }

  void labelValuesAreEscaped() {
    CPPUNIT_ASSERT_EQUAL(std::string("a\\\\b\\nc \\\"q\\\""),
                         escapePrometheusLabelValue("a\\b\nc \"q\""));
    StatsRegistry r;
    StatCounter c;
    CPPUNIT_ASSERT(r.declare("g", "x", &c, StatKind::kCounter, "h",
                             StatLabels{"f", {{"v", "say \"hi\"\\\n"}, {"w", ""}}})
                       .isOk());
    std::string text = renderPrometheus(r, nullptr);
    contains(text, "sipline_g_f_total{v=\"say \\\"hi\\\"\\\\\\n\",w=\"\"} 0\n");
    expectParses(text);
  }

  void missingHelpGetsOne() {
    StatsRegistry r;
    StatCounter c;
    CPPUNIT_ASSERT(r.declare("g", "x", &c).isOk());
    contains(renderPrometheus(r, nullptr), "# HELP sipline_g_x_total sipline statistic g:x\n");
  }

  void computedValuesAreGauges() {
    StatsRegistry r;
    CPPUNIT_ASSERT(r.declareComputed(
                        "shmem", "used_size", [] { return 4096u; }, "bytes")
                       .isOk());
    contains(renderPrometheus(r, nullptr),
             "# TYPE sipline_shmem_used_size gauge\nsipline_shmem_used_size 4096\n");
  }

  void namesAreSanitized() {
    CPPUNIT_ASSERT_EQUAL(std::string("sipline_a_b_c_d"), sanitizeMetricName("sipline_a-b.c d"));
    CPPUNIT_ASSERT_EQUAL(std::string("_1xx"), sanitizeMetricName("1xx"));
    CPPUNIT_ASSERT_EQUAL(std::string("_"), sanitizeMetricName(""));
    CPPUNIT_ASSERT_EQUAL(std::string("a:b"), sanitizeMetricName("a:b"));
    CPPUNIT_ASSERT_EQUAL(std::string("sipline_sl_1xx_replies_total"),
                         metricName("sl", "1xx_replies", true));
    CPPUNIT_ASSERT_EQUAL(std::string("sipline_g_x"), metricStem("g", "x_total"));
  }

  void processMetricsSkipEmptySlots() {
    addSlot(ProcessRole::kMaster, 0, 100, "", 1700000000);
    addSlot(ProcessRole::kUdpWorker, 0, 0, "", 1700000001);  // not started: skipped
    addSlot(ProcessRole::kUdpWorker, 1, 102, "", 1700000002);
    addSlot(ProcessRole::kModule, 0, 103, "usrloc-flusher", 1700000003);
    table_->slot(2).handled.store(77);
    table_->slot(2).busy_us.store(1500000);  // 1.5 s
    std::string text = renderPrometheus(StatsRegistry(), table_.get());
    contains(text,
             "# HELP sipline_process_handled_total SIP messages the process handled\n"
             "# TYPE sipline_process_handled_total counter\n"
             "sipline_process_handled_total{role=\"master\",index=\"0\",pid=\"100\"} 0\n"
             "sipline_process_handled_total{role=\"udp-worker\",index=\"1\",pid=\"102\"} 77\n"
             "sipline_process_handled_total{role=\"module\",index=\"0\",pid=\"103\","
             "name=\"usrloc-flusher\"} 0\n");
    contains(text,
             "sipline_process_busy_seconds_total{role=\"udp-worker\",index=\"1\",pid=\"102\"} "
             "1.500000\n");
    contains(text,
             "sipline_process_start_time_seconds{role=\"udp-worker\",index=\"1\",pid=\"102\"} "
             "1700000002\n");
    contains(text,
             "# TYPE sipline_start_time_seconds gauge\nsipline_start_time_seconds 1700000000\n");
    CPPUNIT_ASSERT(text.find("index=\"0\",pid=\"0\"") == std::string::npos);
    expectParses(text);
  }

  void loadIsAShareWithAWindowLabel() {
    addSlot(ProcessRole::kUdpWorker, 0, 42, "", 1);
    table_->slot(0).load_recent.store(2500);
    table_->slot(0).load_1m.store(10000);
    table_->slot(0).load_10m.store(12345);  // out of range: shown as 1
    std::string text = renderPrometheus(StatsRegistry(), table_.get());
    const std::string labels = "{role=\"udp-worker\",index=\"0\",pid=\"42\",window=";
    contains(text, "# TYPE sipline_process_load gauge\n");
    contains(text, "sipline_process_load" + labels + "\"recent\"} 0.2500\n");
    contains(text, "sipline_process_load" + labels + "\"1m\"} 1.0000\n");
    contains(text, "sipline_process_load" + labels + "\"10m\"} 1.0000\n");
  }

  void withoutProcessTableOnlyStatistics() {
    StatsRegistry r;
    std::string text = renderPrometheus(r, nullptr);
    CPPUNIT_ASSERT(text.find("sipline_process_") == std::string::npos);
    CPPUNIT_ASSERT(text.find("sipline_start_time_seconds") == std::string::npos);
    contains(text, "# TYPE sipline_build_info gauge\nsipline_build_info{version=\"");
    expectParses(text);
  }

  void outputIsDeterministicAndParses() {
    StatsRegistry r;
    StatCounter a, b, c, d, g;
    CPPUNIT_ASSERT(r.declare("core", "rcv_requests", &a, StatKind::kCounter, "all").isOk());
    declareMethod(r, "rcv_requests_invite", &b, "INVITE");
    declareMethod(r, "rcv_requests_bye", &c, "BYE");
    CPPUNIT_ASSERT(r.declare("sl", "2xx_replies", &d, StatKind::kCounter, "by class",
                             StatLabels{"sent_replies_class", {{"class", "2xx"}}})
                       .isOk());
    CPPUNIT_ASSERT(r.declare("tm", "inuse", &g, StatKind::kGauge, "now").isOk());
    CPPUNIT_ASSERT(r.declareComputed(
                        "shmem", "free_size", [] { return 1u; }, "bytes")
                       .isOk());
    bind(r, a, 9);
    bind(r, b, 8);
    addSlot(ProcessRole::kMaster, 0, 1, "", 5);
    addSlot(ProcessRole::kTimer, 0, 2, "", 6);
    std::string first = renderPrometheus(r, table_.get());
    CPPUNIT_ASSERT_EQUAL(first, renderPrometheus(r, table_.get()));
    ExpositionReader reader;
    CPPUNIT_ASSERT_EQUAL(std::string(""), reader.read(first));
    CPPUNIT_ASSERT_EQUAL(9.0, reader.series.at("sipline_core_rcv_requests_total"));
    CPPUNIT_ASSERT_EQUAL(8.0,
                         reader.series.at("sipline_core_rcv_by_method_total{method=\"INVITE\"}"));
    CPPUNIT_ASSERT_EQUAL(std::string("counter"),
                         reader.types.at("sipline_sl_sent_replies_class_total"));
    CPPUNIT_ASSERT_EQUAL(std::string("gauge"), reader.types.at("sipline_tm_inuse"));
    CPPUNIT_ASSERT_EQUAL(std::string("gauge"), reader.types.at("sipline_shmem_free_size"));
    CPPUNIT_ASSERT_EQUAL(std::string("counter"), reader.types.at("sipline_process_handled_total"));
    // Families in declaration order, the process families last.
    CPPUNIT_ASSERT(first.find("sipline_core_rcv_requests_total") <
                   first.find("sipline_core_rcv_by_method_total"));
    CPPUNIT_ASSERT(first.find("sipline_tm_inuse") < first.find("sipline_process_handled_total"));
    // The reader itself refuses what it should.
    ExpositionReader strict;
    CPPUNIT_ASSERT(!strict.read("# HELP a x\n# TYPE a gauge\na 1\na 1\n").empty());
    CPPUNIT_ASSERT(!ExpositionReader().read("# HELP a_total x\n# TYPE a_total gauge\n").empty());
    CPPUNIT_ASSERT(
        !ExpositionReader().read("# HELP a x\n# TYPE a gauge\na{l=\"\"q\"} 1\n").empty());
    CPPUNIT_ASSERT(!ExpositionReader().read("# HELP a x\n# TYPE a gauge\na one\n").empty());
    CPPUNIT_ASSERT(!ExpositionReader().read("# HELP a x\n# TYPE a gauge\nb 1\n").empty());
  }

 private:
  // Places the registry's counters in the test segment (once per registry) and sets one.
  void bind(StatsRegistry& r, StatCounter& c, std::uint64_t v) {
    if (materialized_.count(&r) == 0) {
      CPPUNIT_ASSERT(r.materialize(*segment_).isOk());
      materialized_.insert(&r);
    }
    c.set(v);
  }
  static void declareMethod(StatsRegistry& r, const std::string& name, StatCounter* c,
                            const std::string& method) {
    CPPUNIT_ASSERT(r.declare("core", name, c, StatKind::kCounter, "by method",
                             StatLabels{"rcv_by_method", {{"method", method}}})
                       .isOk());
  }
  void addSlot(ProcessRole role, int index, std::int32_t pid, const std::string& name,
               std::int64_t started) {
    int n = table_->add(ProcessInfo{role, index, name}, started);
    table_->slot(n).pid.store(pid);
  }
  static void contains(const std::string& text, const std::string& part) {
    CPPUNIT_ASSERT_MESSAGE("missing:\n" + part + "\nin:\n" + text,
                           text.find(part) != std::string::npos);
  }
  static std::size_t count(const std::string& text, const std::string& part) {
    std::size_t n = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
      ++n;
    }
    return n;
  }
  static void expectParses(const std::string& text) {
    CPPUNIT_ASSERT_EQUAL(std::string(""), ExpositionReader().read(text));
  }

  std::unique_ptr<shm::Segment> segment_;
  std::set<const StatsRegistry*> materialized_;
  std::unique_ptr<ProcessTable> table_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(PrometheusTest);

}  // namespace sipline
