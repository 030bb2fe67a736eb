#include "modules/acc/acc_spool.h"

#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "modules/acc/acc_record.h"
#include "modules/acc/acc_test_util.h"
#include "test/test_files.h"

namespace sipline::acc {

namespace {

std::string lineFor(int i) {
  Row r;
  r.table = "acc";
  r.columns = {{"acc_key", "k" + std::to_string(i)}, {"method", "INVITE"}};
  return encodeLine(r);
}

}  // namespace

class AccSpoolTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(AccSpoolTest);
  CPPUNIT_TEST(missingOrReadOnlyDirIsAStartupErrorNamingIt);
  CPPUNIT_TEST(appendedLinesAreReadBackInOrder);
  CPPUNIT_TEST(positionSurvivesReopen);
  CPPUNIT_TEST(tornLastLineIsCutKeepingTheLinesBefore);
  CPPUNIT_TEST(tornTailWhileRunningIsCutNotWaitedFor);
  CPPUNIT_TEST(readWaitsForAnAppendThatMayStillBeCut);
  CPPUNIT_TEST(appendAfterATornTailDoesNotGlueOntoIt);
  CPPUNIT_TEST(positionPastTheEndIsClampedToIt);
  CPPUNIT_TEST(compactEmptiesAFullyReplayedSpool);
  CPPUNIT_TEST(processesAppendingAtOnceInterleaveWholeLines);
  CPPUNIT_TEST_SUITE_END();

 public:
  void missingOrReadOnlyDirIsAStartupErrorNamingIt() {
    // The last level is made (the package makes /var/lib/sipline, not acc/ in it).
    Spool made;
    CPPUNIT_ASSERT(made.recover(dir_.file("fresh")).isOk());
    struct stat st_made {};
    CPPUNIT_ASSERT_EQUAL(0, stat(dir_.file("fresh").c_str(), &st_made));
    CPPUNIT_ASSERT(S_ISDIR(st_made.st_mode));
    // A missing parent is a typo: refused, naming the directory.
    Spool s;
    Status st = s.recover(dir_.file("nope") + "/acc");
    CPPUNIT_ASSERT(!st.isOk());
    CPPUNIT_ASSERT(st.message().find(dir_.file("nope")) != std::string::npos);
    if (geteuid() != 0) {
      mkdir(dir_.file("ro").c_str(), 0500);
      Spool r;
      Status ro = r.recover(dir_.file("ro"));
      CPPUNIT_ASSERT(!ro.isOk());
      CPPUNIT_ASSERT(ro.message().find("not writable") != std::string::npos);
    }
  }

  void appendedLinesAreReadBackInOrder() {
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    CPPUNIT_ASSERT(s.append(lineFor(1) + lineFor(2)).isOk());
    CPPUNIT_ASSERT(s.append(lineFor(3)).isOk());
    Result<SpoolBatch> b = s.read(2);
    CPPUNIT_ASSERT(b.isOk());
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, b.value().lines.size());
    CPPUNIT_ASSERT_EQUAL(lineFor(1), b.value().lines[0] + "\n");
    CPPUNIT_ASSERT_EQUAL(b.value().end, b.value().ends[1]);
    CPPUNIT_ASSERT(s.advance(b.value().end).isOk());
    Result<SpoolBatch> rest = s.read(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, rest.value().lines.size());
    CPPUNIT_ASSERT_EQUAL(lineFor(3), rest.value().lines[0] + "\n");
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{1}, s.countPendingLines());
  }

  void positionSurvivesReopen() {
    {
      Spool s;
      CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
      CPPUNIT_ASSERT(s.append(lineFor(1) + lineFor(2) + lineFor(3)).isOk());
      Result<SpoolBatch> b = s.read(1);
      CPPUNIT_ASSERT(s.advance(b.value().end).isOk());
    }
    Spool again;
    CPPUNIT_ASSERT(again.recover(dir_.path()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, again.countPendingLines());
    Result<SpoolBatch> b = again.read(10);
    CPPUNIT_ASSERT_EQUAL(lineFor(2), b.value().lines[0] + "\n");
  }

  void tornLastLineIsCutKeepingTheLinesBefore() {
    std::string torn = lineFor(3);
    {
      std::ofstream f(dir_.file("acc.spool"), std::ios::binary);
      f << lineFor(1) << lineFor(2) << torn.substr(0, torn.size() / 2);
    }
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{2}, s.countPendingLines());
    CPPUNIT_ASSERT(s.append(lineFor(4)).isOk());  // after the cut, not glued to the torn half
    Result<SpoolBatch> b = s.read(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{3}, b.value().lines.size());
    CPPUNIT_ASSERT_EQUAL(lineFor(4), b.value().lines[2] + "\n");
    CPPUNIT_ASSERT(decodeLine(b.value().lines[2]).isOk());
  }

  void tornTailWhileRunningIsCutNotWaitedFor() {
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    CPPUNIT_ASSERT(s.append(lineFor(1)).isOk());
    std::string torn = lineFor(2);
    {
      // A process that died in the middle of its append (after recover() ran).
      std::ofstream f(dir_.file("acc.spool"), std::ios::binary | std::ios::app);
      f << torn.substr(0, torn.size() / 2);
    }
    Result<SpoolBatch> b = s.read(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, b.value().lines.size());
    CPPUNIT_ASSERT(s.advance(b.value().end).isOk());
    Result<SpoolBatch> tail = s.read(10);  // only the torn bytes are left: cut, not waited for
    CPPUNIT_ASSERT(tail.isOk());
    CPPUNIT_ASSERT(tail.value().lines.empty());
    CPPUNIT_ASSERT_EQUAL(std::int64_t{0}, s.pendingBytes());
    CPPUNIT_ASSERT_EQUAL(lineFor(1), sipline::testing::readFile(s.spoolPath()));
    CPPUNIT_ASSERT(s.append(lineFor(3)).isOk());
    Result<SpoolBatch> next = s.read(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, next.value().lines.size());
    CPPUNIT_ASSERT(decodeLine(next.value().lines[0]).isOk());
  }

  void appendAfterATornTailDoesNotGlueOntoIt() {
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    CPPUNIT_ASSERT(s.append(lineFor(1)).isOk());
    std::string torn = lineFor(2);
    {
      std::ofstream f(dir_.file("acc.spool"), std::ios::binary | std::ios::app);
      f << torn.substr(0, torn.size() / 2);
    }
    CPPUNIT_ASSERT(s.append(lineFor(3)).isOk());  // e.g. a worker with a full queue
    Result<SpoolBatch> b = s.read(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{2}, b.value().lines.size());
    CPPUNIT_ASSERT(decodeLine(b.value().lines[0]).isOk());
    CPPUNIT_ASSERT_EQUAL(lineFor(3), b.value().lines[1] + "\n");
  }

  void readWaitsForAnAppendThatMayStillBeCut() {
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    // Another process in the middle of an append: it holds the lock, part of its text is in
    // the file, and its write fails: it cuts what it wrote off again.
    int fd = open(s.spoolPath().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    CPPUNIT_ASSERT(fd >= 0);
    CPPUNIT_ASSERT_EQUAL(0, flock(fd, LOCK_EX));
    std::string partial = lineFor(1) + lineFor(2).substr(0, 10);
    CPPUNIT_ASSERT_EQUAL(static_cast<ssize_t>(partial.size()),
                         write(fd, partial.data(), partial.size()));
    std::atomic<bool> done{false};
    std::size_t lines_read = 99;
    std::thread reader([&] {
      Result<SpoolBatch> b = s.read(10);
      lines_read = b.isOk() ? b.value().lines.size() : 98;
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    bool waited = !done;
    CPPUNIT_ASSERT_EQUAL(0, ftruncate(fd, 0));
    flock(fd, LOCK_UN);
    close(fd);
    reader.join();
    CPPUNIT_ASSERT(waited);
    CPPUNIT_ASSERT_EQUAL(std::size_t{0}, lines_read);  // the cut line was never seen
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.position());
  }

  void positionPastTheEndIsClampedToIt() {
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    CPPUNIT_ASSERT(s.append(lineFor(1) + lineFor(2)).isOk());
    Result<SpoolBatch> b = s.read(10);
    CPPUNIT_ASSERT(s.advance(b.value().end).isOk());
    CPPUNIT_ASSERT_EQUAL(0, truncate(s.spoolPath().c_str(), 0));  // an operator empties it
    CPPUNIT_ASSERT(s.read(10).isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.position());
    CPPUNIT_ASSERT(s.append(lineFor(3)).isOk());  // not hidden behind a stale position
    Result<SpoolBatch> next = s.read(10);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, next.value().lines.size());
    CPPUNIT_ASSERT_EQUAL(lineFor(3), next.value().lines[0] + "\n");
  }

  void compactEmptiesAFullyReplayedSpool() {
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    CPPUNIT_ASSERT(s.append(lineFor(1)).isOk());
    CPPUNIT_ASSERT(s.compactIfDone().isOk());  // not replayed: kept
    CPPUNIT_ASSERT_EQUAL(std::int64_t(lineFor(1).size()), s.pendingBytes());
    Result<SpoolBatch> b = s.read(10);
    CPPUNIT_ASSERT(s.advance(b.value().end).isOk());
    CPPUNIT_ASSERT(s.compactIfDone().isOk());
    CPPUNIT_ASSERT_EQUAL(std::uint64_t{0}, s.position());
    CPPUNIT_ASSERT_EQUAL(std::string(""), sipline::testing::readFile(s.spoolPath()));
    CPPUNIT_ASSERT_EQUAL(std::string("0\n"), sipline::testing::readFile(s.positionPath()));
  }

  void processesAppendingAtOnceInterleaveWholeLines() {
    Spool s;
    CPPUNIT_ASSERT(s.recover(dir_.path()).isOk());
    std::vector<pid_t> kids;
    for (int p = 0; p < 3; ++p) {
      pid_t pid = fork();
      if (pid == 0) {
        for (int i = 0; i < 100; ++i) {
          if (!s.append(lineFor(p * 1000 + i) + lineFor(p * 1000 + i + 500)).isOk()) _exit(1);
        }
        _exit(0);
      }
      kids.push_back(pid);
    }
    for (pid_t k : kids) {
      int status = 0;
      waitpid(k, &status, 0);
      CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    Result<SpoolBatch> b = s.read(10000);
    CPPUNIT_ASSERT_EQUAL(std::size_t{600}, b.value().lines.size());
    for (std::size_t i = 0; i < b.value().lines.size(); i += 2) {
      Result<Row> first = decodeLine(b.value().lines[i]);
      Result<Row> second = decodeLine(b.value().lines[i + 1]);
      CPPUNIT_ASSERT(first.isOk() && second.isOk());
      // One append's two lines stay together.
      int a = std::stoi(first.value().get("acc_key")->substr(1));
      int c = std::stoi(second.value().get("acc_key")->substr(1));
      CPPUNIT_ASSERT_EQUAL(a + 500, c);
    }
  }

 private:
  testing::TempDir dir_;
};
CPPUNIT_TEST_SUITE_REGISTRATION(AccSpoolTest);

}  // namespace sipline::acc
