#include "quant/module.h"

#include "util/error.h"
#include "util/strings.h"

namespace cnnfi::quant {

int width(Module m) { return m == Module::b32 || m == Module::o32 ? 32 : 8; }

std::string to_string(Module m) {
  switch (m) {
    case Module::i8: return "i8";
    case Module::w8: return "w8";
    case Module::b32: return "b32";
    case Module::o32: return "o32";
    case Module::o8: return "o8";
  }
  return "?";
}

Module parse_module(const std::string& s) {
  for (Module m : kAllModules)
    if (s == to_string(m)) return m;
  fail("module '{}' is not one of i8, w8, b32, o32, o8", s);
}

std::string ModuleSet::name() const {
  std::vector<std::string> names;
  for (Module m : kAllModules)
    if (has(m)) names.push_back(to_string(m));
  return names.size() == kModules ? "all" : join(names, ",");
}

ModuleSet ModuleSet::all() {
  ModuleSet s;
  s.on.fill(true);
  return s;
}

ModuleSet ModuleSet::parse(const std::string& spec) {
  if (trim(spec) == "all") return all();
  ModuleSet s;
  for (const auto& part : split(spec, ',')) s.on[static_cast<size_t>(parse_module(trim(part)))] = true;
  return s;
}

}  // namespace cnnfi::quant
