// cnnfi train: placeholder replaced below.
#include "cli/commands.h"
namespace cnnfi::cli {
void setup_train(CLI::App&) {}
}  // namespace cnnfi::cli
