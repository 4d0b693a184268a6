// A shared object named like a plugin but exporting no descriptor.
extern "C" __attribute__((visibility("default"))) int not_a_recourse_plugin() { return 42; }
