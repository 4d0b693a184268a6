// Must NOT compile: the executor's machinery is not API. tests/CMakeLists.txt builds this file
// and expects the compiler to refuse the name below (mp-units never exports `detail`).
import recourse.core;

recourse::detail::CallState* sealed_probe = nullptr;
