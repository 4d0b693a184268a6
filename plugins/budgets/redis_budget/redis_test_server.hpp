// For the redis_budget tests and benchmark (bench/redis_budget_benchmark.cpp): a real redis-server of this test's own,
// on a free port of 127.0.0.1 (no persistence, never another address), that a test may kill and restart on the same
// port; a raw listener that accepts connections and never answers; and child processes with pipes (the fleet test's
// workers). Each child gets SIGKILL if the test process dies, so a crashed test leaves no server behind. Failures throw
// std::runtime_error.
//
//   RedisTestServer redis;                    // started, answering PING
//   redis.command({"SCRIPT", "FLUSH"});        // "OK"
//   redis.kill(); ... redis.restart();
#pragma once

#include <hiredis/hiredis.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "loopback.hpp"

namespace redis_test {

using namespace std::chrono_literals;

using loopback::free_port;

// The absolute path of `program` on PATH (found before fork: the child only execs).
inline std::string on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(start, end - start)) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error(program + " is not on PATH");
}

// A child process, optionally with its stdin and stdout as pipes to this one.
class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args, bool piped) {
    std::vector<std::string> all{program};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    int to_child[2] = {-1, -1}, from_child[2] = {-1, -1};
    if (piped && (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0))
      throw std::runtime_error("pipe");
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {  // only async-signal-safe calls from here to exec
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      if (piped) {
        ::dup2(to_child[0], 0);
        ::dup2(from_child[1], 1);
      } else {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    if (piped) {
      ::close(to_child[0]);
      ::close(from_child[1]);
      in_ = ::fdopen(to_child[1], "w");
      out_ = ::fdopen(from_child[0], "r");
    }
  }
  ~ChildProcess() {
    if (in_ != nullptr) std::fclose(in_);
    if (out_ != nullptr) std::fclose(out_);
    kill();
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void send(const std::string& line) {
    std::fputs((line + "\n").c_str(), in_);
    std::fflush(in_);
  }
  // The next line of its output, without the newline; nullopt at its end.
  std::optional<std::string> line() {
    std::string text;
    for (int c; (c = std::fgetc(out_)) != EOF;) {
      if (c == '\n') return text;
      text += static_cast<char>(c);
    }
    return text.empty() ? std::nullopt : std::optional(text);
  }
  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
};

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

class RedisTestServer {
 public:
  RedisTestServer() : program_(on_path("redis-server")) {
    for (int tries = 0; tries < 5; ++tries) {  // the free port may be taken before the server binds it
      port_ = free_port();
      if (start()) return;
    }
    throw std::runtime_error("redis-server did not start");
  }

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void kill() { process_.reset(); }
  void restart() {
    kill();
    if (!start()) throw std::runtime_error("redis-server did not restart on port " + std::to_string(port_));
  }

  // One command on a connection of the test's own; the reply as text (an integer in decimal,
  // an error as "ERR …", nil as "").
  std::string command(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 5s) const {
    Context c = connect(timeout);
    if (c == nullptr) throw std::runtime_error("cannot reach the test redis-server on port " + std::to_string(port_));
    return run(*c, args);
  }

  Context connect(std::chrono::milliseconds timeout) const {
    const timeval tv{static_cast<time_t>(timeout.count() / 1000),
                     static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    Context c(redisConnectWithTimeout("127.0.0.1", port_, tv));
    if (c == nullptr || c->err != 0) return nullptr;
    redisSetTimeout(c.get(), tv);
    return c;
  }

  static std::string run(redisContext& c, const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* reply =
        static_cast<redisReply*>(redisCommandArgv(&c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) return "(no reply)";
    std::string text;
    if (reply->type == REDIS_REPLY_INTEGER) text = std::to_string(reply->integer);
    else if (reply->type == REDIS_REPLY_ARRAY) text = std::to_string(reply->elements) + " elements";
    else if (reply->str != nullptr) text.assign(reply->str, reply->len);
    freeReplyObject(reply);
    return text;
  }

  // A field of an INFO section, e.g. info("clients", "connected_clients").
  std::string info(const std::string& section, const std::string& field) const {
    const std::string all = command({"INFO", section});
    const auto at = all.find(field + ":");
    if (at == std::string::npos) return {};
    const auto start = at + field.size() + 1;
    return all.substr(start, all.find('\r', start) - start);
  }

 private:
  bool start() {
    process_ = std::make_unique<ChildProcess>(
        program_,
        std::vector<std::string>{"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--enable-debug-command", "yes", "--loglevel", "warning"},
        false);
    // Answering PING, or gone (the port was taken), polled for at most 10 s.
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < until) {
      if (!process_->running()) return false;
      if (Context c = connect(100ms); c != nullptr && run(*c, {"PING"}) == "PONG") return true;
      std::this_thread::sleep_for(2ms);  // a poll interval, not a timing assumption
    }
    return false;
  }

  std::string program_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

// A loopback listener that never accepts: the kernel completes the handshake, so a client
// connects and writes, and then waits for a reply that never comes.
class SilentListener {
 public:
  SilentListener() : fd_(loopback::bound_socket(64)), port_(loopback::port_of(fd_)) {}
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace redis_test
