// A position-independent executable carrying a correct stamp, named like a plugin: ET_DYN, so
// it passes the pre-check, and the loader's own refusal ("cannot dynamically load
// position-independent executable") must reach the user, not "Bad file descriptor".
#include <recourse/plugin.h>

import recourse.plugin;

RECOURSE_DEFINE_PLUGIN_STAMP_OF_THIS_BUILD();

int main() { return 0; }
