// Loads fine; its component's constructor throws: creation fails with the file and the cause.
#include <recourse/plugin.h>

#include "test_components.hpp"

RECOURSE_DECLARE_PLUGIN("factory-throws", "1.0.0",
                        recourse::classifier_component<test_plugins::ThrowingFactoryClassifier>("throws"))
