#define _GNU_SOURCE
#include "mpi_shim.h"

#include <sched.h>
#include <limits.h>
#include <stdlib.h>
#include <mpi.h>

// Largest chunk one MPI call gets: MPI counts are ints.
#define CHUNK (1L << 30)

static int initialized = 0;
static int finalized = 0;

int zoo_mpi_init(void) {
    if (initialized) return MPI_SUCCESS;
    int provided = 0;
    int status = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (status == MPI_SUCCESS) initialized = 1;
    return status;
}

int zoo_mpi_finalize(void) {
    if (!initialized || finalized) return MPI_SUCCESS;
    finalized = 1;
    return MPI_Finalize();
}

int zoo_mpi_rank(void) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int zoo_mpi_size(void) {
    int size = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    return size;
}

int zoo_mpi_local_size(void) {
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS) return 1;
    int size = 1;
    MPI_Comm_size(node, &size);
    MPI_Comm_free(&node);
    return size;
}

/* In-place sums in chunks of at most CHUNK elements, since MPI counts are ints. */
static int allreduce_sum(void *values, long count, MPI_Datatype type, size_t element_size) {
    char *bytes = values;
    for (long start = 0; start < count; start += CHUNK) {
        long n = count - start < CHUNK ? count - start : CHUNK;
        int status = MPI_Allreduce(MPI_IN_PLACE, bytes + (size_t)start * element_size, (int)n, type, MPI_SUM, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}

int zoo_mpi_allreduce_sum_float(float *values, long count) {
    return allreduce_sum(values, count, MPI_FLOAT, sizeof(float));
}

int zoo_mpi_allreduce_sum_double(double *values, long count) {
    return allreduce_sum(values, count, MPI_DOUBLE, sizeof(double));
}

static int allgatherv(const void *values, int count, void *out, const int *counts, MPI_Datatype type) {
    int size = zoo_mpi_size();
    int *displacements = malloc(sizeof(int) * (size_t)size);
    if (!displacements) return MPI_ERR_NO_MEM;
    long offset = 0;
    for (int r = 0; r < size; r++) {
        if (offset > INT_MAX) { free(displacements); return MPI_ERR_COUNT; }
        displacements[r] = (int)offset;
        offset += counts[r];
    }
    int status = MPI_Allgatherv(values, count, type, out, counts, displacements, type, MPI_COMM_WORLD);
    free(displacements);
    return status;
}

int zoo_mpi_allgatherv_float(const float *values, int count, float *out, const int *counts) {
    return allgatherv(values, count, out, counts, MPI_FLOAT);
}

int zoo_mpi_allgatherv_int(const int *values, int count, int *out, const int *counts) {
    return allgatherv(values, count, out, counts, MPI_INT);
}

int zoo_mpi_allgather_int(int value, int *out) {
    return MPI_Allgather(&value, 1, MPI_INT, out, 1, MPI_INT, MPI_COMM_WORLD);
}

int zoo_mpi_broadcast(void *buffer, long bytes, int root) {
    for (long start = 0; start < bytes; start += CHUNK) {
        long n = bytes - start < CHUNK ? bytes - start : CHUNK;
        int status = MPI_Bcast((char *)buffer + start, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}

int zoo_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }

void zoo_mpi_abort(int code) {
    MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

double zoo_mpi_time(void) { return MPI_Wtime(); }

int zoo_affinity_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}
