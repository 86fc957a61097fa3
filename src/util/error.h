// cnnfi::Error: the one exception type the library throws on bad input or a failed operation.
// Its message names the file, node, key or value at fault; the CLI prints it and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace cnnfi {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

/// Throws cnnfi::Error with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace cnnfi
