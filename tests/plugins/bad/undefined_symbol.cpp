// A well-formed plugin that needs a symbol nothing provides (linked without --no-undefined):
// passes the pre-check, and dlopen's own message ("undefined symbol: …") reaches the user.
#include <recourse/plugin.h>

#include "test_components.hpp"

extern "C" int recourse_test_symbol_nobody_defines();

extern "C" __attribute__((visibility("default"))) int recourse_test_uses_the_missing_symbol() {
  return recourse_test_symbol_nobody_defines();
}

RECOURSE_DECLARE_PLUGIN("undefined-symbol", "1.0.0",
                        recourse::classifier_component<test_plugins::SuccessClassifier>("undefined_symbol"))
