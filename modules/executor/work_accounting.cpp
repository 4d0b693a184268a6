// WorkAccounting's key function, and the accounting of clocks that need none.
module recourse.executor;

namespace recourse::detail {
namespace {

class NoWorkAccounting final : public WorkAccounting {
 public:
  void hold() noexcept override {}
  void enter(bool) noexcept override {}
  void leave() noexcept override {}
  bool entered() const noexcept override { return false; }
  void yield() noexcept override {}
};

}  // namespace

WorkAccounting::~WorkAccounting() = default;

WorkAccounting& no_work_accounting() noexcept {
  static NoWorkAccounting none;
  return none;
}

}  // namespace recourse::detail
