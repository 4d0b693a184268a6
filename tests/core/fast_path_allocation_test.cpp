// The fast path — policy cached, first attempt succeeds, no timeline, no observer — must not
// allocate (DESIGN.md §4). A counting global operator new checks it, for string keys and for
// interned key handles.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <expected>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>

import recourse.core;

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

// Allocations made by `body`, run after one warm-up call that fills the policy cache.
template <class Body>
std::size_t allocations_of(Body&& body) {
  body();
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) body();
  counting = false;
  return allocations;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fast_path_allocation)

BOOST_AUTO_TEST_CASE(counting_works) {
  BOOST_TEST(allocations_of([] { auto p = std::make_unique<int>(1); }) == 100u);
}

BOOST_AUTO_TEST_CASE(first_try_success_with_a_string_key_allocates_nothing) {
  recourse::Executor executor;
  int sum = 0;
  const std::string long_key = "payments.ChargeWithAVeryLongOperationNamePastSmallStringSize";
  BOOST_TEST(allocations_of([&] { sum += executor.run("payments.Charge", [](const recourse::Attempt&) { return 1; }); }) == 0u);
  BOOST_TEST(allocations_of([&] { sum += executor.run(long_key, [](const recourse::Attempt&) { return 1; }); }) == 0u);
  BOOST_TEST(sum == 202);
}

BOOST_AUTO_TEST_CASE(first_try_success_with_a_key_handle_allocates_nothing) {
  recourse::Executor executor;
  const auto key = *recourse::KeyHandle::intern("payments.Refund");
  int sum = 0;
  BOOST_TEST(allocations_of([&] { sum += executor.run(key, [](const recourse::Attempt&) { return 1; }); }) == 0u);
  BOOST_TEST(sum == 101);
}

BOOST_AUTO_TEST_CASE(try_run_and_expected_results_allocate_nothing_either) {
  recourse::Executor executor;
  const auto op = [](const recourse::Attempt&) -> std::expected<int, int> { return 2; };
  BOOST_TEST(allocations_of([&] { (void)executor.try_run("svc.Op", op); }) == 0u);
}

// A call with a per-attempt and an overall timeout arms a deadline timer and cancels it when the
// attempt returns: after the first calls, the timer queue reuses its slots and the attempt's
// stop state is the thread's recycled one (attempt_control.cpp), so nothing allocates.
BOOST_AUTO_TEST_CASE(first_try_success_with_timeouts_allocates_nothing) {
  using namespace std::chrono_literals;
  recourse::PolicyPatch patch;
  patch.entries.push_back({recourse::find_policy_field("retry.per_attempt_timeout"), recourse::Duration(1s), {}});
  patch.entries.push_back({recourse::find_policy_field("retry.overall_timeout"), recourse::Duration(2s), {}});
  recourse::PolicyTable table;
  table.exact.emplace("svc.Timed", std::move(patch));
  recourse::ExecutorOptions options;
  options.provider = std::make_shared<recourse::StaticPolicyProvider>(std::move(table));
  recourse::Executor executor(std::move(options));
  const auto key = *recourse::KeyHandle::intern("svc.Timed");
  int sum = 0;
  BOOST_TEST(allocations_of([&] { sum += executor.run(key, [](const recourse::Attempt&) { return 1; }); }) == 0u);
  BOOST_TEST(sum == 101);
}

// Off the fast path, a timeline allocates nothing once it is as large as the calls need: the
// caller's, reused, and the one a call builds for its observers (the thread's spare).
BOOST_AUTO_TEST_CASE(a_reused_timeline_allocates_nothing) {
  recourse::Executor executor;
  recourse::Timeline timeline;
  const std::string long_key = "payments.ChargeWithAVeryLongOperationNamePastSmallStringSize";
  int sum = 0;
  BOOST_TEST(allocations_of([&] {
               sum += executor.run(long_key, [](const recourse::Attempt&) { return 1; }, {.timeline = &timeline});
             }) == 0u);
  BOOST_TEST(sum == 101);
  BOOST_TEST(timeline.attempts.size() == 1u);
}

class CountingObserver final : public recourse::SelectiveObserver {
 public:
  recourse::ObserverEvents events() const noexcept override { return recourse::ObserverEvent::attempt; }
  void on_attempt(const recourse::CallInfo&, const recourse::AttemptRecord&) override { ++attempts; }
  int attempts = 0;
};

class TimelineObserver final : public recourse::Observer {  // every event, whole timelines
 public:
  void on_success(const recourse::CallInfo&, const recourse::Timeline& timeline) override {
    attempts += static_cast<int>(timeline.attempts.size());
  }
  int attempts = 0;
};

BOOST_AUTO_TEST_CASE(an_observed_call_allocates_nothing) {
  const std::string long_key = "payments.ChargeWithAVeryLongOperationNamePastSmallStringSize";
  auto counting = std::make_shared<CountingObserver>();
  auto whole = std::make_shared<TimelineObserver>();
  for (const std::shared_ptr<recourse::Observer>& observer :
       std::initializer_list<std::shared_ptr<recourse::Observer>>{counting, whole}) {
    recourse::ExecutorOptions options;
    options.observers.push_back(observer);
    recourse::Executor executor(std::move(options));
    BOOST_TEST(allocations_of([&] { (void)executor.run(long_key, [](const recourse::Attempt&) { return 1; }); }) == 0u);
  }
  BOOST_TEST(counting->attempts == 101);
  BOOST_TEST(whole->attempts == 101);
}

BOOST_AUTO_TEST_SUITE_END()
