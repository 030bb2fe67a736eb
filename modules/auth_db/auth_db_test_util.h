// Tests only: an auth_db Service on a private shm segment with statistics bound to local
// counters, a hand-moved clock, and connections to a FakeSubscriberDb (or any connector).
#pragma once

#include <cppunit/extensions/HelperMacros.h>

#include <atomic>
#include <memory>
#include <string>

#include "core/shm/segment.h"
#include "modules/auth_db/auth_db.h"
#include "modules/auth_db/fake_subscriber_db_test_util.h"

namespace sipline::auth_db::testing {

class ServiceHarness {
 public:
  explicit ServiceHarness(std::size_t shm_bytes = 1 << 20) {
    Result<std::unique_ptr<shm::Segment>> seg = shm::Segment::create(shm_bytes);
    CPPUNIT_ASSERT_MESSAGE(seg.status().message(), seg.isOk());
    segment = std::move(seg.value());
    Counters& c = service.counters();
    c.cache.hits.bindForTest(&hits);
    c.cache.misses.bindForTest(&misses);
    c.cache.entries.bindForTest(&entries);
    c.cache.no_memory.bindForTest(&no_memory);
    c.cache.evictions.bindForTest(&evictions);
    c.db_lookups.bindForTest(&db_lookups);
    c.db_errors.bindForTest(&db_errors);
    service.config().db_url = "postgres://sipline@127.0.0.1/sipline";
    service.setClockForTest([this] { return now_ms; });
    service.setConnectorForTest([this]() -> Result<std::unique_ptr<db::Connection>> {
      return fakeSubscriberConnection(db);
    });
  }

  // Declares the tables, runs init() and a worker's childInit().
  Status start(std::initializer_list<const char*> tables = {"subscriber"}) {
    for (const char* t : tables) {
      Result<Table*> r = service.table(t);
      if (!r.isOk()) return r.status();
    }
    Status st = service.init(segment->manager());
    if (!st.isOk()) return st;
    ProcessInfo worker;
    worker.role = ProcessRole::kUdpWorker;
    return service.childInit(worker);
  }
  void mustStart(std::initializer_list<const char*> tables = {"subscriber"}) {
    Status st = start(tables);
    CPPUNIT_ASSERT_MESSAGE(st.message(), st.isOk());
  }
  Table& table(const char* name = "subscriber") { return *service.table(name).value(); }

  FakeSubscriberDb db;
  std::unique_ptr<shm::Segment> segment;
  Service service;
  std::int64_t now_ms = 1000000;
  std::atomic<std::uint64_t> hits{0}, misses{0}, entries{0}, no_memory{0}, evictions{0},
      db_lookups{0}, db_errors{0};
};

}  // namespace sipline::auth_db::testing
