// open_checked (see path_safety.hpp): a by-hand path walk over directory descriptors, so that
// each component is looked up in the directory that was already checked, and judged by what
// fstat says about the descriptor that was opened, not by a second lookup of its name.
#include "path_safety.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_type.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace recourse::host {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace {

namespace fs = std::filesystem;

// Linux's own limit on symlinks followed in one lookup (MAXSYMLINKS).
constexpr int max_symlink_hops = 40;

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

std::string join(const std::string& dir, const std::string& name) { return dir == "/" ? "/" + name : dir + "/" + name; }

// Why others could change what `st` describes, or nullopt. `ancestor`: a directory the walk
// passes through (where a root-owned sticky directory is acceptable), not the final component.
std::optional<std::string> why_unsafe(const struct stat& st, bool ancestor) {
  const bool writable = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !S_ISLNK(st.st_mode);
  const bool sticky_root_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0 && st.st_uid == 0;
  if (writable && !(ancestor && sticky_root_dir))
    return "is writable by group or others (mode " + octal_mode(st.st_mode) + ")";
  if (st.st_uid != ::geteuid() && st.st_uid != 0)
    return "is owned by uid " + std::to_string(st.st_uid) + ", neither this user (uid " + std::to_string(::geteuid()) +
           ") nor root";
  return std::nullopt;
}

struct Hop {
  std::string link;
  std::string target;
};

class Walk {
 public:
  Walk(PathKind kind, bool enforce) : kind_(kind), enforce_(enforce) {}

  std::expected<OpenedPath, std::string> run(const fs::path& requested) {
    std::error_code ec;
    const fs::path absolute = requested.is_absolute() ? requested : fs::current_path(ec) / requested;
    if (ec) return std::unexpected("cannot resolve a relative path: " + ec.message());
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return std::unexpected(cannot("open", "/"));
    struct stat st {};
    if (::fstat(root.get(), &st) != 0) return std::unexpected(cannot("stat", "/"));
    if (auto refusal = judge(st, "/", true)) return std::unexpected(*refusal);
    dirs_.push_back({std::move(root), "/"});
    push_front(absolute.relative_path());

    while (!only_dots()) {
      const std::string name = pending_.front();
      pending_.pop_front();
      if (name.empty() || name == ".") continue;
      if (name == "..") {
        if (dirs_.size() > 1) dirs_.pop_back();
        continue;
      }
      const std::string here = join(dirs_.back().path, name);
      if (::fstatat(dirs_.back().fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return std::unexpected(missing(here));
        return std::unexpected(cannot("stat", here));
      }
      if (S_ISLNK(st.st_mode)) {
        if (auto refusal = follow(name, here, st)) return std::unexpected(*refusal);
        continue;
      }
      if (only_dots()) return open_last(name, here, st);
      if (!S_ISDIR(st.st_mode)) return std::unexpected(noun() + " does not resolve: " + here + " is not a directory");
      UniqueFd fd(::openat(dirs_.back().fd.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!fd || ::fstat(fd.get(), &st) != 0) return std::unexpected(cannot("open", here));
      if (auto refusal = judge(st, here, true)) return std::unexpected(*refusal);
      dirs_.push_back({std::move(fd), here});
    }
    // The path ended in "/", "." or "..": the last component is the directory the walk is in.
    if (dirs_.size() == 1) {
      if (kind_ != PathKind::directory) return std::unexpected("not a regular file (it is a directory)");
      // "/" itself: judged as a final directory (no sticky exception), reopened readable.
      UniqueFd fd(::openat(dirs_.back().fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd || ::fstat(fd.get(), &st) != 0) return std::unexpected(cannot("open", "/"));
      if (auto refusal = judge(st, "/", false)) return std::unexpected(*refusal);
      return OpenedPath{std::move(fd), "/", st.st_dev, st.st_ino, st.st_size};
    }
    const std::string here = dirs_.back().path;
    dirs_.pop_back();
    push_front(fs::path(here).filename());
    return run_last(here);
  }

 private:
  struct Dir {
    UniqueFd fd;
    std::string path;
  };

  std::string noun() const { return kind_ == PathKind::directory ? "plugin path" : "the file"; }

  std::string cannot(std::string_view what, const std::string& path) const {
    return "cannot " + std::string(what) + " " + path + ": " + std::strerror(errno);
  }

  // A security refusal for the component at `here`, or nullopt when it is safe (or not judged).
  std::optional<std::string> judge(const struct stat& st, const std::string& here, bool ancestor) const {
    if (!enforce_) return std::nullopt;
    const auto why = why_unsafe(st, ancestor);
    if (!why) return std::nullopt;
    std::string subject;
    if (S_ISLNK(st.st_mode)) subject = "the symlink " + here;
    else if (ancestor) subject = "the directory " + here + " above it";
    else if (kind_ == PathKind::directory) subject = hop_ ? "the directory " + here : "the directory";
    else subject = hop_ ? "the file " + here : "the file";
    if (hop_ && !S_ISLNK(st.st_mode)) subject += " (reached through the symlink " + hop_->link + " -> " + hop_->target + ")";
    const std::string it = kind_ == PathKind::directory ? "from it" : "it";
    return "refused: " + subject + " " + *why + "; loading " + it +
           " would run code that others can change (set allow_insecure = true under [plugins] to load " + it +
           " anyway)";
  }

  // The latest symlink dangles when the missing component is its target or on the way to it;
  // otherwise the path beyond an intact symlink is what is missing.
  std::string missing(const std::string& here) const {
    if (hop_) {
      std::string target = fs::path(hop_->target).is_absolute()
                               ? fs::path(hop_->target).lexically_normal().string()
                               : (fs::path(hop_->link).parent_path() / hop_->target).lexically_normal().string();
      while (target.size() > 1 && target.back() == '/') target.pop_back();
      if (target == here)
        return noun() + " is a dangling symlink: " + hop_->link + " points to " + hop_->target + ", which does not exist";
      if (target.starts_with(here + "/"))
        return noun() + " is a dangling symlink: " + hop_->link + " points to " + hop_->target + ", and " + here +
               " does not exist";
    }
    return noun() + " does not exist" + (only_dots() && !hop_ ? "" : " (" + here + " is missing)");
  }

  std::optional<std::string> follow(const std::string& name, const std::string& here, const struct stat& st) {
    if (auto refusal = judge(st, here, true)) return refusal;
    if (++hops_ > max_symlink_hops) return noun() + " has too many levels of symbolic links (a loop?) at " + here;
    std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
    const ssize_t length = ::readlinkat(dirs_.back().fd.get(), name.c_str(), target.data(), target.size());
    if (length < 0) return cannot("read the symlink", here);
    if (static_cast<std::size_t>(length) >= target.size()) return "the symlink " + here + " changed while being read";
    target.resize(static_cast<std::size_t>(length));
    if (target.empty()) return "the symlink " + here + " is empty";
    hop_ = Hop{here, target};
    if (target.front() == '/') dirs_.resize(1);
    push_front(fs::path(target).relative_path());
    return std::nullopt;
  }

  // The last component, found in dirs_.back(): opened without following a symlink, checked on
  // the descriptor, and compared with what the lookup saw (a swap in between is refused).
  std::expected<OpenedPath, std::string> open_last(const std::string& name, const std::string& here,
                                                   const struct stat& looked_up) {
    int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
    if (kind_ == PathKind::directory) {
      if (!S_ISDIR(looked_up.st_mode))
        return std::unexpected(noun() + " is not a directory (it is " +
                               std::string(support::file_type_name(looked_up.st_mode)) + ")");
      flags |= O_DIRECTORY;
    } else {
      // Before open: opening a FIFO or a device can block or act on the device.
      if (!S_ISREG(looked_up.st_mode))
        return std::unexpected("not a regular file (it is " + std::string(support::file_type_name(looked_up.st_mode)) +
                               "); only regular files are loaded as plugins");
      flags |= O_NONBLOCK;  // and should it have become a FIFO since, open does not wait for a writer
    }
    UniqueFd fd(::openat(dirs_.back().fd.get(), name.c_str(), flags));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) return std::unexpected(cannot("open", here));
    if (st.st_dev != looked_up.st_dev || st.st_ino != looked_up.st_ino || (st.st_mode & S_IFMT) != (looked_up.st_mode & S_IFMT))
      return std::unexpected(here + " was replaced while it was being opened");
    if (auto refusal = judge(st, here, false)) return std::unexpected(*refusal);
    return OpenedPath{std::move(fd), here, st.st_dev, st.st_ino, st.st_size};
  }

  // The path ended in "." or ".."; `here` is the directory it names: look it up again from its
  // parent, as a last component.
  std::expected<OpenedPath, std::string> run_last(const std::string& here) {
    const std::string name = pending_.front();
    pending_.pop_front();
    struct stat st {};
    if (::fstatat(dirs_.back().fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::unexpected(cannot("stat", here));
    return open_last(name, here, st);
  }

  void push_front(const fs::path& relative) {
    std::vector<std::string> parts;
    for (const fs::path& part : relative) parts.push_back(part.string());
    pending_.insert(pending_.begin(), parts.begin(), parts.end());
  }

  bool only_dots() const {
    for (const std::string& p : pending_)
      if (!p.empty() && p != ".") return false;
    return true;
  }

  PathKind kind_;
  bool enforce_;
  std::vector<Dir> dirs_;
  std::deque<std::string> pending_;
  std::optional<Hop> hop_;
  int hops_ = 0;
};

}  // namespace

std::expected<OpenedPath, std::string> open_checked(const fs::path& path, PathKind kind, bool enforce) {
  return Walk(kind, enforce).run(path);
}

}  // namespace recourse::host
