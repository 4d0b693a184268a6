// metrics_workload CONFIG: a service on recourse.runtime driven by commands on stdin, for the
// end-to-end test with a real Prometheus (prometheus_e2e.sh). Each command's output ends with
// a line "done"; the first line is "ready".
//   succeed KEY N     N calls of KEY that succeed at the first attempt
//   fail KEY N        N calls of KEY whose every attempt fails (ECONNREFUSED)
//   reload            Runtime::reload(): "reload accepted generation G" or "reload refused: …"
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <system_error>

import recourse.runtime;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fputs("usage: metrics_workload CONFIG\n", stderr);
    return 2;
  }
  auto runtime = recourse::Runtime::load(argv[1]);
  if (!runtime) {
    std::fputs(runtime.error().message().c_str(), stderr);
    return 2;
  }
  std::cout << "ready" << std::endl;
  for (std::string line; std::getline(std::cin, line);) {
    std::istringstream in(line);
    std::string command, key;
    int n = 0;
    in >> command >> key >> n;
    if (command == "succeed" || command == "fail") {
      const bool ok = command == "succeed";
      for (int i = 0; i < n; ++i)
        (void)runtime->executor().try_run(key, [ok](const recourse::Attempt&) {
          return ok ? std::error_code() : std::make_error_code(std::errc::connection_refused);
        });
    } else if (command == "reload") {
      const recourse::ReloadResult result = runtime->reload();
      if (result.accepted) std::cout << "reload accepted generation " << result.generation << '\n';
      else
        std::cout << "reload refused: " << (result.errors.empty() ? "" : recourse::to_string(result.errors[0])) << '\n';
    } else if (command == "quit") {
      break;
    } else {
      std::cout << "unknown command: " << line << '\n';
    }
    std::cout << "done" << std::endl;
  }
  return 0;
}
