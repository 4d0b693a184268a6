// Must NOT compile under -Werror=thread-safety: a member RECOURSE_GUARDED_BY a detail::Mutex
// touched without holding it. tests/CMakeLists.txt builds this file and expects that diagnostic,
// proving the annotations the executor uses check something (see docs/contributing.md).
#include "recourse/mutex.h"

struct Counter {
  recourse::detail::Mutex mutex;
  int count RECOURSE_GUARDED_BY(mutex) = 0;
  void locked_increment() {
    recourse::detail::MutexLock lock(mutex);
    ++count;  // fine: held
  }
  void unlocked_increment() { ++count; }  // line 13: the diagnostic the test wants
};
