// Provides classifier "dup", already provided by duplicate_a.
#include <recourse/plugin.h>

#include "test_components.hpp"

RECOURSE_DECLARE_PLUGIN("duplicate-b", "1.0.0", recourse::classifier_component<test_plugins::SuccessClassifier>("dup"))
