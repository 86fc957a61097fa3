// One file per subcommand: cli/<name>.cpp defines setup_<name>, which adds the subcommand and
// its options to the app and sets its callback.
#pragma once
#include <CLI/CLI.hpp>

namespace cnnfi::cli {

void setup_eval(CLI::App& app);
void setup_train(CLI::App& app);
void setup_demo(CLI::App& app);
void setup_info(CLI::App& app);
void setup_faults(CLI::App& app);
void setup_inject(CLI::App& app);

}  // namespace cnnfi::cli
