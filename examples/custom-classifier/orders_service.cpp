// orders_service: a service that runs its calls under the status_list classifier, loaded from
// this example's plugin through TOML by recourse.runtime — the path a team takes. Its backend
// is a stand-in that answers each call's attempts from a script ("502,201" → 502, then 201).
//
//   orders_service CONFIG SCRIPT...     e.g. orders_service build/orders.toml 502,201 503
#include <cstdio>
#include <expected>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

import recourse.runtime;

namespace orders {

struct Response {
  int status = 0;
};

// How recourse sees the response: its HTTP status (found by argument-dependent lookup).
recourse::ProtocolStatus recourse_protocol_status(const Response& r) {
  return {.http_status = r.status, .http_method = "POST"};
}

std::vector<int> statuses(std::string_view script) {
  std::vector<int> out;
  std::stringstream in{std::string(script)};
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::stoi(item));
  return out;
}

}  // namespace orders

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: orders_service CONFIG SCRIPT...\n", stderr);
    return 2;
  }
  auto runtime = recourse::Runtime::load(argv[1]);
  if (!runtime) {
    std::fputs(runtime.error().message().c_str(), stderr);
    return 2;
  }
  for (const recourse::LoadedPlugin& plugin : runtime->plugins())
    std::printf("plugin %s %s\n", plugin.name.c_str(), plugin.version.c_str());

  int failed = 0;
  for (int i = 2; i < argc; ++i) {
    const std::vector<int> script = orders::statuses(argv[i]);
    std::size_t attempt = 0;
    auto result = runtime->executor().try_run("orders.Create", [&](const recourse::Attempt&) {
      const int status = attempt < script.size() ? script[attempt] : script.back();
      ++attempt;
      return orders::Response{status};
    });
    if (result) {
      std::printf("call %d: HTTP %d after %zu attempt(s)\n", i - 1, result->status, attempt);
    } else {
      ++failed;
      std::printf("call %d: failed, %s after %zu attempt(s)\n", i - 1, std::string(result.error().reason).c_str(),
                  attempt);
    }
  }
  return failed == 0 ? 0 : 1;
}
