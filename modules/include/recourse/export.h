// RECOURSE_API marks what librecourse_core.so exports. The core builds with hidden
// visibility, and clang emits a module-attached class's vtable and typeinfo only in the
// owning object file, so an exported class without this attribute fails to link (or splits
// its RTTI) in plugins. Include it in a global module fragment only: macros do not cross
// `import`, and none of ours should leak to users (the module smoke test checks).
#pragma once

#define RECOURSE_API __attribute__((visibility("default")))
