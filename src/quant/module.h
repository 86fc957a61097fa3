// The five fault-injection modules of a quantised layer (seed 003): its input i8, weight w8,
// bias b32, accumulator o32 and requantised output o8, each a tensor of integers of a width.
// A module's vulnerable bits in one forward pass (eq. 3.1) are its elements times its width:
// per image for i8, o32 and o8 (activations), per layer for w8 and b32 (read on every inference).
#pragma once
#include <array>
#include <string>
#include <vector>

namespace cnnfi::quant {

enum class Module { i8, w8, b32, o32, o8 };
constexpr int kModules = 5;
constexpr std::array<Module, kModules> kAllModules = {Module::i8, Module::w8, Module::b32, Module::o32, Module::o8};

/// Word width of a module: 8 or 32.
int width(Module m);
std::string to_string(Module m);
/// A module by name; throws naming the value and the names.
Module parse_module(const std::string& s);

/// A set of modules, parsed from "all" or a list such as "b32,o32".
struct ModuleSet {
  std::array<bool, kModules> on{};
  bool has(Module m) const { return on[static_cast<size_t>(m)]; }
  std::string name() const;  ///< "all" or the list
  static ModuleSet all();
  static ModuleSet parse(const std::string& s);
};

}  // namespace cnnfi::quant
