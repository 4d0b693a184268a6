// The errno classifier plugin, loaded from librecourse-errno.so: transient system errors are
// retryable and named, from an error code or a thrown std::system_error, and the retryable
// list is configurable.
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>

#include "plugin_harness.hpp"

using plugin_harness::no_services;
using plugin_harness::string_array;
using plugin_harness::Table;
using recourse::ComponentCategory;
using recourse::OutcomeKind;

namespace {

recourse::AttemptView errno_failure(int value) {
  recourse::AttemptView v;
  v.error = std::error_code(value, std::generic_category());
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(errno_classifier)

BOOST_AUTO_TEST_CASE(transient_system_errors_are_retryable_with_their_name) {
  auto classifier =
      plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "errno", {}, no_services);
  BOOST_TEST((classifier->classify(errno_failure(ECONNREFUSED)).kind == OutcomeKind::retryable));
  BOOST_TEST(classifier->classify(errno_failure(ECONNREFUSED)).reason == "errno_econnrefused");
  BOOST_TEST((classifier->classify(errno_failure(ETIMEDOUT)).kind == OutcomeKind::retryable));
  BOOST_TEST((classifier->classify(errno_failure(ENOENT)).kind == OutcomeKind::non_retryable));
  BOOST_TEST((classifier->classify(errno_failure(ECANCELED)).kind == OutcomeKind::abort));
}

BOOST_AUTO_TEST_CASE(a_thrown_system_error_is_read_too) {
  auto classifier =
      plugin_harness::create<recourse::Classifier>(ComponentCategory::classifier, "errno", {}, no_services);
  recourse::AttemptView v;
  v.exception = std::make_exception_ptr(std::system_error(ECONNRESET, std::generic_category(), "read"));
  BOOST_TEST(classifier->classify(v).reason == "errno_econnreset");
  v.exception = std::make_exception_ptr(std::runtime_error("not a system error"));
  BOOST_TEST(classifier->classify(v).reason == "non_retryable_error");
}

BOOST_AUTO_TEST_CASE(the_retryable_list_is_configurable) {
  auto classifier = plugin_harness::create<recourse::Classifier>(
      ComponentCategory::classifier, "errno", Table().add("retryable", string_array({"ENOENT"})), no_services);
  BOOST_TEST((classifier->classify(errno_failure(ENOENT)).kind == OutcomeKind::retryable));
  BOOST_TEST((classifier->classify(errno_failure(ECONNREFUSED)).kind == OutcomeKind::non_retryable));
}

BOOST_AUTO_TEST_SUITE_END()
