#ifndef ZOO_MPI_SHIM_H
#define ZOO_MPI_SHIM_H

// The few MPI calls zoo's data-parallel training makes, over MPI_COMM_WORLD. Open MPI's handles
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM) are macros over the addresses of library globals, which Swift
// cannot import; these functions take plain C types instead. Counts are `long` and split into chunks
// MPI's `int` counts can hold. Each returns MPI's status (0 = MPI_SUCCESS) unless it says otherwise;
// with MPI's default error handler a communication failure aborts the job before returning.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// MPI_Init_thread (serialized: the calling thread and the shim's progress thread call MPI one at a time,
/// under the shim's lock; every function here takes it).
int zoo_mpi_init(void);
/// MPI_Finalize, once, only after a successful init.
int zoo_mpi_finalize(void);
/// Rank and size in MPI_COMM_WORLD.
int zoo_mpi_rank(void);
int zoo_mpi_size(void);
/// Ranks on this node (MPI_Comm_split_type with MPI_COMM_TYPE_SHARED).
int zoo_mpi_local_size(void);
/// Sums `count` values across ranks, in place, on every rank.
int zoo_mpi_allreduce_sum_double(double *values, long count);
/// A sum started with MPI_Iallreduce (in place) and not yet known to be complete. MPI makes progress on it
/// only inside MPI calls, so the caller tests it from time to time and waits for it before reading.
typedef struct zoo_mpi_reduction zoo_mpi_reduction;
/// Starts summing `count` floats across ranks, in place; `values` must not be touched until the reduction
/// is complete. Every rank must start the same reductions in the same order. On success `*out` is the
/// handle, which `zoo_mpi_reduction_free` releases once complete.
int zoo_mpi_iallreduce_sum_float(float *values, long count, zoo_mpi_reduction **out);
/// As zoo_mpi_iallreduce_sum_float, for bfloat16 values (their bits): each step of the reduction adds in
/// float and rounds the sum to bfloat16.
int zoo_mpi_iallreduce_sum_bf16(uint16_t *values, long count, zoo_mpi_reduction **out);
/// Drives the reduction on and sets `*done` to 1 once it is complete (MPI_Testall). A progress thread,
/// started with the first reduction, also tests every reduction in flight every 100 µs
/// (ZOO_MPI_PROGRESS_THREAD=0: only these calls do).
int zoo_mpi_reduction_test(zoo_mpi_reduction *reduction, int *done);
/// Blocks until the reduction is complete (MPI_Waitall).
int zoo_mpi_reduction_wait(zoo_mpi_reduction *reduction);
void zoo_mpi_reduction_free(zoo_mpi_reduction *reduction);
/// Every rank's `count` values, concatenated in rank order into `out`, on every rank. `counts[r]` is rank
/// r's count (each rank passes the same table); `out` holds their sum.
int zoo_mpi_allgatherv_float(const float *values, int count, float *out, const int *counts);
int zoo_mpi_allgatherv_int(const int *values, int count, int *out, const int *counts);
/// One int from every rank, in rank order, into `out` (size entries).
int zoo_mpi_allgather_int(int value, int *out);
/// Copies `bytes` bytes from `root` to every rank.
int zoo_mpi_broadcast(void *buffer, long bytes, int root);
int zoo_mpi_barrier(void);
/// MPI_Abort on MPI_COMM_WORLD: takes every rank down. Does not return.
void zoo_mpi_abort(int code);
/// Wall-clock seconds (MPI_Wtime).
double zoo_mpi_time(void);

/// Cores this process may run on (its affinity mask), or 0 when unknown. Not an MPI call.
int zoo_affinity_cores(void);

#ifdef __cplusplus
}
#endif

#endif
