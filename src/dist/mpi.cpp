#include "dist/mpi.h"

#include <cstdlib>
#include <string>

#ifdef CNNFI_HAVE_MPI
#include <mpi.h>
#endif

#include "util/error.h"

namespace cnnfi::dist {

bool launched_with_ranks() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"}) {
    const char* s = std::getenv(v);
    if (s && std::atoi(s) > 1) return true;
  }
  return false;
}

#ifdef CNNFI_HAVE_MPI

World start() {
  if (!launched_with_ranks()) return {};
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) MPI_Init(nullptr, nullptr);
  World w;
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  return w;
}

void barrier() {
  int inited = 0;
  MPI_Initialized(&inited);
  if (inited) MPI_Barrier(MPI_COMM_WORLD);
}

void abort_all(int code) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (inited) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

void finish() {
  int inited = 0, done = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&done);
  if (inited && !done) MPI_Finalize();
}

#else

World start() {
  if (launched_with_ranks())
    fail("cnnfi was built without MPI (libopenmpi-dev not found at build time): run one process per shard with "
         "cnnfi run --shard K/N and join the stores with cnnfi merge");
  return {};
}
void barrier() {}
void abort_all(int code) { std::exit(code); }
void finish() {}

#endif

}  // namespace cnnfi::dist
