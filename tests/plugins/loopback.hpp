// Sockets on 127.0.0.1 for the plugins' tests, which start their servers themselves and never
// talk to any other address: a port that was free a moment ago, and a bound listening socket.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace loopback {

// A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening with `backlog` > 0.
// Its port: port_of(fd).
inline int bound_socket(int backlog = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  if (backlog > 0) ::listen(fd, backlog);
  return fd;
}

inline int port_of(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// A port of 127.0.0.1 nothing listened on a moment ago (bound, read back, closed). Another
// socket may take it before the caller binds it; a server started on it can be retried.
inline int free_port() {
  const int fd = bound_socket();
  const int port = port_of(fd);
  ::close(fd);
  return port;
}

}  // namespace loopback
