// One HTTP server (cpp-httplib) per listening address, shared by every prometheus observer
// configured on that address in this process. A reload that replaces an observer builds the
// new one while the old one still serves, on the same port: the new one attaches to the
// running listener instead of failing to bind, and scrapes see it from then on. The listener
// stops, and the port is free again, when its last observer lets go.
#pragma once

#include <expected>
#include <functional>
#include <memory>
#include <string>

namespace recourse::plugins::prometheus {

class Listener {
 public:
  using Render = std::function<std::string()>;

  // The listener on host:port (port 0: any free one), started if none runs there yet.
  static std::expected<std::shared_ptr<Listener>, std::string> on(const std::string& host, int port,
                                                                  const std::string& path);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Scrapes render the newest attached source; detach() with the id attach() gave.
  std::uint64_t attach(Render render);
  void detach(std::uint64_t id);
  int port() const noexcept;

  struct State;

 private:
  explicit Listener(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace recourse::plugins::prometheus
