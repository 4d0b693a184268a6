// recourse.executor:failure — how a call that did not succeed reports itself: the final reason
// code, the last real failure of the operation and how many attempts ran.
module;
#include "recourse/export.h"

#include <any>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

export module recourse.executor:failure;

import recourse.plugin;

export namespace recourse {

struct Failure {
  std::string_view reason;  // the final reason code (docs/reason-codes.md)
  OutcomeKind kind = OutcomeKind::unknown;  // the last attempt's outcome; unknown when none ran
  int attempts = 0;                         // invocations of the operation
  std::exception_ptr exception;             // the last exception the operation threw
  std::error_code error;                    // the last failing error_code it returned
  std::any error_value;                     // the last E of a std::expected<T, E> it returned
  // The value the last attempt returned when that value failed (an HTTP response with status
  // 503 and a body), so a service can pass the upstream's answer on: a T for a copyable T, a
  // std::shared_ptr<T> for a move-only one. Read it with last_value<T>(failure).
  std::any value;
};

// The last attempt's failed value as a T, or null (no value, or not a T).
template <class T>
const T* last_value(const Failure& failure) noexcept {
  if (const T* copied = std::any_cast<T>(&failure.value)) return copied;
  if (const auto* shared = std::any_cast<std::shared_ptr<T>>(&failure.value)) return shared->get();
  return nullptr;
}

// What Executor::run throws. what(): "recourse: payments.Charge: max_attempts after 3 attempts".
class RECOURSE_API Error : public std::exception {
 public:
  Error(std::string_view key, Failure failure);
  const char* what() const noexcept override;
  const Failure& failure() const noexcept;
  std::string_view reason() const noexcept;

 private:
  Failure failure_;
  std::string message_;
};

}  // namespace recourse
