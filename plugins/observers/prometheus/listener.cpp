// The shared HTTP listener (see listener.hpp), on cpp-httplib's Server.
#include "listener.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace recourse::plugins::prometheus {

struct Listener::State {
  std::string address;  // host:port as asked, the registry's key
  std::string path;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopped{false};  // listen_after_bind returned
  std::mutex mutex;
  std::uint64_t next_id = 1;
  std::vector<std::pair<std::uint64_t, Render>> sources;  // oldest first

  // Under the lock, so detach() waits for a render of the source it removes: the source's
  // counters may be destroyed right after.
  std::string render() {
    const std::lock_guard lock(mutex);
    return sources.empty() ? std::string() : sources.back().second();
  }
};

namespace {

// Listeners by the address they were asked for. A listener removes itself once its port is
// closed, and says so (`closed`): a listener wanted on an address whose old one is still
// closing waits for it rather than failing to bind.
std::mutex registry_mutex;
std::condition_variable closed;
std::map<std::string, std::weak_ptr<Listener>>& registry() {
  static std::map<std::string, std::weak_ptr<Listener>> listeners;
  return listeners;
}

}  // namespace

std::expected<std::shared_ptr<Listener>, std::string> Listener::on(const std::string& host, int port,
                                                                   const std::string& path) {
  const std::string address = host + ":" + std::to_string(port);
  std::unique_lock lock(registry_mutex);
  if (port != 0) {
    for (;;) {
      const auto it = registry().find(address);
      if (it == registry().end()) break;
      if (auto running = it->second.lock()) {
        if (running->state_->path != path)
          return std::unexpected(std::string(address)
                                     .append(" already serves metrics at ")
                                     .append(running->state_->path)
                                     .append(", not ")
                                     .append(path));
        return running;
      }
      closed.wait(lock);  // its last observer let go; its port closes next
    }
  }
  auto state = std::make_unique<State>();
  state->address = address;
  state->path = path;
  State* raw = state.get();
  // SO_REUSEADDR, not cpp-httplib's default SO_REUSEPORT: the port can be taken again at once
  // after this listener closes (its connections' TIME_WAIT does not block it), but never shared
  // with another process listening on it, which SO_REUSEPORT would allow.
  state->server.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Stopping waits for the server's connections: bound them, so that the call which ends an
  // exporter's last generation (and stops it) waits at most about a second. Prometheus opens a
  // connection per scrape then.
  state->server.set_keep_alive_max_count(1);
  state->server.set_read_timeout(1, 0);
  state->server.set_write_timeout(1, 0);
  state->server.Get(path, [raw](const httplib::Request&, httplib::Response& response) {
    response.set_content(raw->render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (port == 0) {
    state->port = state->server.bind_to_any_port(host);
    if (state->port < 0) return std::unexpected("cannot listen on " + host + ": no free port");
  } else if (!state->server.bind_to_port(host, port)) {
    return std::unexpected("cannot listen on " + address + " (address in use, or not an address of this host)");
  } else {
    state->port = port;
  }
  state->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->stopped = true;
  });
  // Server::stop() does nothing until the server runs: wait for it, so that a listener
  // destroyed right away still stops (and its thread is joined).
  while (!raw->server.is_running() && !raw->stopped) std::this_thread::yield();
  if (raw->stopped) {
    state->thread.join();
    return std::unexpected("the server on " + address + " stopped as it started");
  }
  std::shared_ptr<Listener> listener(new Listener(std::move(state)));
  if (port != 0) registry()[address] = listener;
  return listener;
}

Listener::Listener(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}

Listener::~Listener() {
  state_->server.stop();
  if (state_->thread.joinable()) state_->thread.join();
  {
    const std::lock_guard lock(registry_mutex);
    const auto it = registry().find(state_->address);
    if (it != registry().end() && it->second.expired()) registry().erase(it);
  }
  closed.notify_all();
}

std::uint64_t Listener::attach(Render render) {
  const std::lock_guard lock(state_->mutex);
  const std::uint64_t id = state_->next_id++;
  state_->sources.emplace_back(id, std::move(render));
  return id;
}

void Listener::detach(std::uint64_t id) {
  const std::lock_guard lock(state_->mutex);
  std::erase_if(state_->sources, [id](const auto& source) { return source.first == id; });
}

int Listener::port() const noexcept { return state_->port; }

}  // namespace recourse::plugins::prometheus
