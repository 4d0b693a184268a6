// Provides classifier "dup"; so does duplicate_b: the second one loaded is refused.
#include <recourse/plugin.h>

#include "test_components.hpp"

RECOURSE_DECLARE_PLUGIN("duplicate-a", "1.0.0", recourse::classifier_component<test_plugins::SuccessClassifier>("dup"))
