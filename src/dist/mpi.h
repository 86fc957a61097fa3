// Ranks of an mpirun job. cnnfi runs a campaign under `mpirun -np N cnnfi run C.yaml -o R.db` as N
// shards (rank K runs the trials with index K modulo N into R.db.rankKofN) and rank 0 merges them
// into R.db once every rank is done (cli/run.cpp). Without MPI in the build, an mpirun launch is
// refused with a pointer to --shard K/N.
#pragma once

namespace cnnfi::dist {

struct World {
  int rank = 0, size = 1;
};

/// Whether the process was started by a launcher with more than one rank (Open MPI, PMI/PMIx).
bool launched_with_ranks();
/// Initialises MPI when launched with ranks (idempotent); {0, 1} otherwise.
World start();
void barrier();
/// Stops every rank (after an error on one, so that the others do not wait forever).
[[noreturn]] void abort_all(int code);
void finish();

}  // namespace cnnfi::dist
