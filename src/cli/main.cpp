// cnnfi: fault injection for CNNs. Subcommands live in src/cli/, one file each.
#include <cstdio>
#include <new>
#include <string>

#include <CLI/CLI.hpp>
#include <c10/util/Exception.h>

#include "cli/commands.h"
#include "util/allocator.h"
#include "util/error.h"

int main(int argc, char** argv) {
  cnnfi::tune_allocator();
  CLI::App app{"cnnfi " CNNFI_VERSION ": fault injection for convolutional neural networks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(CNNFI_VERSION));
  cnnfi::cli::setup_eval(app);
  cnnfi::cli::setup_train(app);
  cnnfi::cli::setup_demo(app);
  cnnfi::cli::setup_info(app);
  cnnfi::cli::setup_faults(app);
  cnnfi::cli::setup_inject(app);
  cnnfi::cli::setup_run(app);
  cnnfi::cli::setup_export(app);
  cnnfi::cli::setup_plan(app);
  cnnfi::cli::setup_estimate(app);
  cnnfi::cli::setup_validate(app);
  cnnfi::cli::setup_report(app);
  cnnfi::cli::setup_tolerance(app);
  cnnfi::cli::setup_harden(app);
  cnnfi::cli::setup_merge(app);
  cnnfi::cli::setup_fit(app);
  cnnfi::cli::setup_quantize(app);
  cnnfi::cli::setup_convert(app);
  cnnfi::cli::setup_keys(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cnnfi::Error& e) {
    std::fprintf(stderr, "cnnfi: error: %s\n", e.what());
    return 1;
  } catch (const c10::Error& e) {
    std::fprintf(stderr, "cnnfi: error: %s\n", e.what_without_backtrace());
    return 1;
  } catch (const std::bad_alloc&) {
    // Input sizes are checked where they enter; this names the command if one slipped through.
    std::string cmd;
    for (int i = 1; i < argc; ++i) cmd += std::string(i > 1 ? " " : "") + argv[i];
    std::fprintf(stderr, "cnnfi: error: out of memory running 'cnnfi %s'; nothing more was written\n", cmd.c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cnnfi: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
