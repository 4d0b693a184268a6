// Declares the same component twice in one descriptor.
#include <recourse/plugin.h>

#include "test_components.hpp"

RECOURSE_DECLARE_PLUGIN("self-duplicate", "1.0.0",
                        recourse::classifier_component<test_plugins::SuccessClassifier>("twice"),
                        recourse::classifier_component<test_plugins::SuccessClassifier>("twice"))
