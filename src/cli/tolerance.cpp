// cnnfi tolerance: faults per inference each quantised campaign's model tolerates at an accuracy
// loss (default one point), per module set, and the ratio of each to the first store's (seed 003
// Fig. 4: a fault-aware trained model against its reference).
#include <cstdio>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "campaign/tolerance.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "util/file.h"

namespace cnnfi::cli {

void print_tolerance(const std::vector<std::string>& stores, double loss, const std::string& json) {
  refuse_overwrite(json, store_inputs(stores), "--json");
  std::vector<std::vector<campaign::Tolerance>> all;
  for (const auto& s : stores) all.push_back(campaign::tolerance(store::Store(s, store::OpenMode::read), loss));
  std::printf("faults per inference tolerated at a top-1 loss of %.4g (interpolated on the measured schedule)\n", loss);
  std::printf("%-40s %-16s %10s %12s %12s %10s\n", "store", "modules", "fault-free", "tolerated", "fault rate", "ratio");
  nlohmann::json j = nlohmann::json::array();
  for (size_t i = 0; i < all.size(); ++i)
    for (const auto& t : all[i]) {
      const campaign::Tolerance* ref = nullptr;
      for (const auto& r : all[0])
        if (r.modules == t.modules) ref = &r;
      const bool ratio = ref && ref->faults && t.faults;
      std::printf("%-40s %-16s %10.4f %12s %12s %10s\n", stores[i].c_str(), t.modules.c_str(), t.fault_free,
                  t.faults ? fmt::format("{:.2f}", *t.faults).c_str() : fmt::format("> {}", t.largest).c_str(),
                  t.rate() ? fmt::format("{:.3g}", *t.rate()).c_str() : "",
                  ratio ? fmt::format("{:.2f}", *t.faults / *ref->faults).c_str() : "");
      j.push_back({{"store", stores[i]}, {"modules", t.modules}, {"fault_free_top1", t.fault_free},
                   {"tolerated_faults", t.faults ? nlohmann::json(*t.faults) : nlohmann::json(nullptr)},
                   {"largest_measured", t.largest}, {"vulnerable_bits", t.bits},
                   {"tolerated_fault_rate", t.rate() ? nlohmann::json(*t.rate()) : nlohmann::json(nullptr)},
                   {"ratio_to_first", ratio ? nlohmann::json(*t.faults / *ref->faults) : nlohmann::json(nullptr)}});
    }
  if (!json.empty()) write_file_atomic(json, j.dump(2) + "\n");
}

void setup_tolerance(CLI::App& app) {
  auto stores = std::make_shared<std::vector<std::string>>();
  auto loss = std::make_shared<double>(0.01);
  auto json = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("tolerance", "faults per inference tolerated at an accuracy loss (quantized campaigns)");
  sub->add_option("stores", *stores, "stores of quantized campaigns; ratios are to the first")->required();
  sub->add_option("--loss", *loss, "accuracy loss, a fraction (default 0.01)");
  sub->add_option("--json", *json, "also write the table as JSON");
  sub->callback([stores, loss, json] { print_tolerance(*stores, *loss, *json); });
}

}  // namespace cnnfi::cli
