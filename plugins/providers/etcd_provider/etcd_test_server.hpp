// A real etcd (Debian etcd-server, /usr/bin/etcd) for the `etcd` provider's tests: one member on
// free loopback ports, its data in a private directory, started, killed and restarted (same
// data, any client port) by the test, and etcdctl (etcd-client, ETCDCTL_API=3) to change what
// it holds. Nothing here talks to any address but 127.0.0.1 and the ports it picked.
#pragma once

#include <boost/test/unit_test.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

#include "loopback.hpp"

namespace etcd_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using loopback::free_port;

// Runs a program found on PATH with ETCDCTL_API=3 added to the environment; its stdout.
inline std::string run(const std::vector<std::string>& args, int* exit_code = nullptr) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings{"ETCDCTL_API=3"};
  for (char** e = environ; *e != nullptr; ++e)
    if (!std::string_view(*e).starts_with("ETCDCTL_")) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  int out[2];
  BOOST_REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  BOOST_REQUIRE_MESSAGE(spawned == 0, "cannot run " << args[0]);
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) output.append(buffer, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  if (exit_code != nullptr) {
    *exit_code = code;
  } else {
    BOOST_REQUIRE_MESSAGE(code == 0, args[0] << " " << (args.size() > 1 ? args[1] : "") << " failed: " << output);
  }
  return output;
}

class EtcdServer {
 public:
  EtcdServer() : peer_port_(free_port()) {
    static std::atomic<int> counter{0};
    dir_ =
        fs::temp_directory_path() / ("recourse-etcd-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(dir_);
    start();
  }
  ~EtcdServer() {
    kill();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // Starts etcd on its data directory (a restart keeps what it held), serving clients on
  // `client_port` (0: the port it had, or a new one the first time); returns once it answers.
  void start(int client_port = 0) {
    // A port found free may be taken before etcd binds it (an outgoing connection's ephemeral
    // port): on a first start, whose ports nothing depends on yet, etcd is tried on new ones.
    const bool first = client_port == 0 && client_port_ == 0;
    for (int tries = first ? 5 : 1; tries > 0; --tries) {
      if (spawn(client_port, tries > 1)) return;
      client_port_ = 0;
      peer_port_ = free_port();
      std::error_code ignored;
      fs::remove_all(dir_ / "data", ignored);
    }
  }

 private:
  // Starts etcd and waits until it answers (true), or until it exited at once (false, with
  // `may_fail`: the caller retries) — failing the test otherwise.
  bool spawn(int client_port, bool may_fail) {
    BOOST_REQUIRE(pid_ == 0);
    client_port_ = client_port != 0 ? client_port : client_port_ != 0 ? client_port_ : free_port();
    const std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    const std::vector<std::string> args{"etcd", "--name=default", "--data-dir=" + (dir_ / "data").string(),
                                        "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
                                        "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
                                        "--initial-cluster=default=" + peer,
                                        // A lone member elects itself after one election timeout
                                        // (1 s by default): each start and restart would wait it.
                                        "--heartbeat-interval=10", "--election-timeout=100"};
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir_ / "etcd.out").string();
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int spawned = ::posix_spawnp(&pid_, "etcd", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    BOOST_REQUIRE_MESSAGE(spawned == 0, "cannot start etcd (Debian etcd-server)");
    httplib::Client health("127.0.0.1", client_port_);
    health.set_connection_timeout(0, 100'000);
    const auto until = std::chrono::steady_clock::now() + 15s;
    while (true) {
      if (auto answer = health.Get("/health");
          answer && answer->status == 200 && answer->body.find("\"true\"") != std::string::npos)
        return true;
      int status = 0;
      if (may_fail && ::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: its port was taken
        pid_ = 0;
        return false;
      }
      BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, "etcd did not become healthy; see " << log);
      std::this_thread::sleep_for(20ms);
    }
  }

 public:
  // SIGKILL: etcd goes away as in a crash, its connections reset.
  void kill() {
    if (pid_ == 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  int port() const { return client_port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(client_port_); }

  // etcdctl against this etcd only.
  std::string ctl(std::initializer_list<std::string> args, int* exit_code = nullptr) const {
    std::vector<std::string> command{"etcdctl", "--endpoints=" + endpoint(), "--dial-timeout=2s"};
    command.insert(command.end(), args);
    return run(command, exit_code);
  }
  void put(const std::string& key, const std::string& value) const { ctl({"put", key, value}); }
  void del(const std::string& key) const { ctl({"del", key}); }
  // The key's mod_revision (0: no such key) and the store's revision.
  std::int64_t mod_revision(const std::string& key) const {
    const auto answer = nlohmann::json::parse(ctl({"get", key, "-w", "json"}));
    return answer.contains("kvs") ? answer["kvs"][0]["mod_revision"].get<std::int64_t>() : 0;
  }
  std::int64_t revision() const {
    return nlohmann::json::parse(ctl({"get", "/", "-w", "json"}))["header"]["revision"].get<std::int64_t>();
  }
  void compact(std::int64_t revision) const { ctl({"compact", std::to_string(revision)}); }

 private:
  fs::path dir_;
  int peer_port_ = 0;
  int client_port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace etcd_test
