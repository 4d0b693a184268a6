// A cpp-httplib server for the plugins' tests: routes first (server()), then start() binds it to
// 127.0.0.1 on a port the kernel picks and serves on its own thread until destroyed. An owner
// whose handlers can block (a held request) releases them in its own destructor, which runs
// before this member's stops the server.
#pragma once

#include <httplib.h>

#include <thread>

class LoopbackHttpServer {
 public:
  LoopbackHttpServer() = default;
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;
  ~LoopbackHttpServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  httplib::Server& server() { return server_; }
  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};
