// A good plugin loaded after stays_loaded, from a directory of the same depth (so its file gets
// the same descriptor number): it must be itself, component "second" included.
#include <recourse/plugin.h>

#include "test_components.hpp"

RECOURSE_DECLARE_PLUGIN("second", "1.0.0", recourse::classifier_component<test_plugins::SuccessClassifier>("second"))
