// A good plugin linked with -z nodelete: glibc keeps it mapped after dlclose, still known by
// the /proc/<pid>/fd/N name it was loaded through. A later plugin opened on the same descriptor
// number must not be handed this library.
#include <recourse/plugin.h>

#include "test_components.hpp"

RECOURSE_DECLARE_PLUGIN("stays-loaded", "1.0.0",
                        recourse::classifier_component<test_plugins::SuccessClassifier>("stays_loaded"))
