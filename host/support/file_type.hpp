// What a file is, as messages say it: "a directory", "a FIFO (named pipe)", … — for refusing a
// config path or a plugin path that is not a regular file, in one wording.
#pragma once

#include <sys/types.h>

#include <string_view>

namespace recourse::support {

// "a regular file", "a directory", "a symlink", "a FIFO (named pipe)", "a character device",
// "a block device", "a socket"; "of an unknown type" for anything else.
std::string_view file_type_name(mode_t mode) noexcept;

}  // namespace recourse::support
