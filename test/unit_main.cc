// The one unit-test runner: runs every CppUnit suite registered in the linked *_test.cc files.
// Usage: unit_tests [SUITE_OR_TEST_NAME]. Prints per-test progress and, last, the line
// "unit: N passed, N failed" that scripts/run-tests adds up.
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>

#include <cstdio>
#include <iostream>

#include "core/base/log.h"

int main(int argc, char** argv) {
  sipline::logInit(sipline::LogTarget::kStderr, sipline::LogLevel::kCrit);
  CppUnit::TestResult controller;
  CppUnit::TestResultCollector collector;
  controller.addListener(&collector);
  CppUnit::BriefTestProgressListener progress;
  controller.addListener(&progress);

  CppUnit::TestRunner runner;
  runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
  try {
    runner.run(controller, argc > 1 ? argv[1] : "");
  } catch (const std::exception& e) {
    std::cerr << "no such test: " << (argc > 1 ? argv[1] : "") << " (" << e.what() << ")\n";
    return 2;
  }
  CppUnit::CompilerOutputter outputter(&collector, std::cerr);
  outputter.write();
  int failed = collector.testFailuresTotal();
  int passed = collector.runTests() - failed;
  std::printf("unit: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
