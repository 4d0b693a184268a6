// A correct stamp but no descriptor function: passes the pre-check, is loaded, and is refused
// by the second line (the descriptor lookup).
#include <recourse/plugin.h>

import recourse.plugin;

RECOURSE_DEFINE_PLUGIN_STAMP_OF_THIS_BUILD();
