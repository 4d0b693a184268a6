// The errno names the `errno` classifier knows (see errno_names.hpp).
#include "errno_names.hpp"

#include <cerrno>
#include <string_view>

namespace recourse::plugins {
namespace {

struct Entry {
  int value;
  std::string_view name;
  std::string_view reason;
};

constexpr Entry entries[] = {
    {ECONNREFUSED, "ECONNREFUSED", "errno_econnrefused"}, {ECONNRESET, "ECONNRESET", "errno_econnreset"},
    {ECONNABORTED, "ECONNABORTED", "errno_econnaborted"}, {ETIMEDOUT, "ETIMEDOUT", "errno_etimedout"},
    {EAGAIN, "EAGAIN", "errno_eagain"},                   {EHOSTUNREACH, "EHOSTUNREACH", "errno_ehostunreach"},
    {ENETUNREACH, "ENETUNREACH", "errno_enetunreach"},   {ENETDOWN, "ENETDOWN", "errno_enetdown"},
    {EPIPE, "EPIPE", "errno_epipe"},                     {EINTR, "EINTR", "errno_eintr"},
    {EBUSY, "EBUSY", "errno_ebusy"},                     {ENOENT, "ENOENT", "errno_enoent"},
    {EACCES, "EACCES", "errno_eacces"},                   {EPERM, "EPERM", "errno_eperm"},
    {EINVAL, "EINVAL", "errno_einval"},                   {ENOSPC, "ENOSPC", "errno_enospc"},
    {EIO, "EIO", "errno_eio"},                            {ECANCELED, "ECANCELED", "errno_ecanceled"},
    {EADDRINUSE, "EADDRINUSE", "errno_eaddrinuse"},       {ENOTCONN, "ENOTCONN", "errno_enotconn"},
};

}  // namespace

std::optional<int> errno_from_name(std::string_view name) noexcept {
  for (const Entry& e : entries)
    if (e.name == name) return e.value;
  return std::nullopt;
}

std::string_view errno_reason(int value) noexcept {
  for (const Entry& e : entries)
    if (e.value == value) return e.reason;
  return "errno_other";
}

}  // namespace recourse::plugins
