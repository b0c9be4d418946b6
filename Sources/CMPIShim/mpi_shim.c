#define _GNU_SOURCE
#include "mpi_shim.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <mpi.h>

// Largest chunk one MPI call gets: MPI counts are ints.
#define CHUNK (1L << 30)

static int initialized = 0;
static int finalized = 0;

/* Every MPI call is made under `lock`: the calling thread's, and the progress thread's (below). MPI is
   initialised MPI_THREAD_SERIALIZED, which allows calls from several threads one at a time. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
#define LOCKED(call) ({ pthread_mutex_lock(&lock); __typeof__(call) result_ = (call); pthread_mutex_unlock(&lock); result_; })
static int serialized = 0;

int zoo_mpi_init(void) {
    if (initialized) return MPI_SUCCESS;
    int provided = 0;
    int status = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (status == MPI_SUCCESS) {
        initialized = 1;
        serialized = provided >= MPI_THREAD_SERIALIZED;
    }
    return status;
}

static void stop_progress_thread(void);

int zoo_mpi_finalize(void) {
    if (!initialized || finalized) return MPI_SUCCESS;
    stop_progress_thread();
    finalized = 1;
    return LOCKED(MPI_Finalize());
}

int zoo_mpi_rank(void) {
    int rank = 0;
    LOCKED(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    return rank;
}

int zoo_mpi_size(void) {
    int size = 1;
    LOCKED(MPI_Comm_size(MPI_COMM_WORLD, &size));
    return size;
}

int zoo_mpi_local_size(void) {
    MPI_Comm node;
    if (LOCKED(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node)) != MPI_SUCCESS) return 1;
    int size = 1;
    LOCKED(MPI_Comm_size(node, &size));
    LOCKED(MPI_Comm_free(&node));
    return size;
}

/* In-place sums in chunks of at most CHUNK elements, since MPI counts are ints. */
static int allreduce_sum(void *values, long count, MPI_Datatype type, size_t element_size) {
    char *bytes = values;
    for (long start = 0; start < count; start += CHUNK) {
        long n = count - start < CHUNK ? count - start : CHUNK;
        int status = LOCKED(MPI_Allreduce(MPI_IN_PLACE, bytes + (size_t)start * element_size, (int)n, type, MPI_SUM, MPI_COMM_WORLD));
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}

/* A non-blocking sum: one MPI_Request per chunk of at most CHUNK floats, held on the heap because the
   request type differs between MPI implementations (a pointer in Open MPI, an int in MPICH). Reductions
   not yet complete are linked into `outstanding` for the progress thread. */
struct zoo_mpi_reduction {
    zoo_mpi_reduction *next;
    int count;
    int done;
    MPI_Request requests[];
};

static zoo_mpi_reduction *outstanding = NULL;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static pthread_t progress_thread;
static int progress_running = 0, progress_stop = 0;

/* Tests one reduction; marks it done and unlinks it when complete. Called with `lock` held. */
static int test_locked(zoo_mpi_reduction *reduction) {
    if (reduction->done) return MPI_SUCCESS;
    int flag = 0;
    int status = MPI_Testall(reduction->count, reduction->requests, &flag, MPI_STATUSES_IGNORE);
    if (status == MPI_SUCCESS && flag) {
        reduction->done = 1;
        for (zoo_mpi_reduction **at = &outstanding; *at; at = &(*at)->next) {
            if (*at == reduction) { *at = reduction->next; break; }
        }
    }
    return status;
}

/* Open MPI moves a non-blocking collective on only inside MPI calls (each round of the algorithm, each
   fragment over TCP). Left to the training thread's occasional tests, a bucket started early in backward
   mostly waits until backward ends; this thread tests every outstanding reduction every 100 µs while any
   is in flight, and sleeps on `work` otherwise. */
static void *progress_loop(void *unused) {
    (void)unused;
    const struct timespec pause = {0, 100 * 1000};
    pthread_mutex_lock(&lock);
    while (!progress_stop) {
        if (!outstanding) { pthread_cond_wait(&work, &lock); continue; }
        for (zoo_mpi_reduction *r = outstanding, *next; r; r = next) {
            next = r->next;
            test_locked(r);  // a failed test aborts the job (MPI's default error handler)
        }
        pthread_mutex_unlock(&lock);
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* ZOO_MPI_PROGRESS_THREAD=0 leaves progress to the training thread's tests (to compare both). */
static int progress_thread_wanted(void) {
    const char *text = getenv("ZOO_MPI_PROGRESS_THREAD");
    return serialized && !(text && text[0] == '0' && text[1] == 0);
}

static void stop_progress_thread(void) {
    if (!progress_running) return;
    pthread_mutex_lock(&lock);
    progress_stop = 1;
    pthread_cond_signal(&work);
    pthread_mutex_unlock(&lock);
    pthread_join(progress_thread, NULL);
    progress_running = 0;
}

static int iallreduce(void *values, long count, MPI_Datatype type, size_t element_size, MPI_Op op, zoo_mpi_reduction **out) {
    *out = NULL;
    long chunks = count <= 0 ? 0 : (count + CHUNK - 1) / CHUNK;
    zoo_mpi_reduction *reduction = malloc(sizeof(zoo_mpi_reduction) + sizeof(MPI_Request) * (size_t)chunks);
    if (!reduction) return MPI_ERR_NO_MEM;
    reduction->next = NULL;
    reduction->count = 0;
    reduction->done = chunks == 0;
    pthread_mutex_lock(&lock);
    if (!progress_running && !progress_stop && progress_thread_wanted()) {
        progress_running = pthread_create(&progress_thread, NULL, progress_loop, NULL) == 0;
    }
    for (long start = 0; start < count; start += CHUNK) {
        long n = count - start < CHUNK ? count - start : CHUNK;
        int status = MPI_Iallreduce(MPI_IN_PLACE, (char *)values + (size_t)start * element_size, (int)n, type, op,
                                    MPI_COMM_WORLD, &reduction->requests[reduction->count]);
        if (status != MPI_SUCCESS) {
            // The chunks already started must still complete before their buffers may be touched.
            MPI_Waitall(reduction->count, reduction->requests, MPI_STATUSES_IGNORE);
            pthread_mutex_unlock(&lock);
            free(reduction);
            return status;
        }
        reduction->count++;
    }
    if (!reduction->done) {
        reduction->next = outstanding;
        outstanding = reduction;
        pthread_cond_signal(&work);
    }
    pthread_mutex_unlock(&lock);
    *out = reduction;
    return MPI_SUCCESS;
}

int zoo_mpi_iallreduce_sum_float(float *values, long count, zoo_mpi_reduction **out) {
    return iallreduce(values, count, MPI_FLOAT, sizeof(float), MPI_SUM, out);
}

/* bfloat16 has no MPI type: the values travel as MPI_UINT16_T and are summed by a user operation that
   widens both operands to float, adds, and rounds the sum back to bfloat16 (nearest, ties to even), as
   PyTorch's bf16 compression hook does with NCCL. Each step of the reduction rounds once. */
static inline float bf16_to_float(uint16_t bits) {
    union { uint32_t u; float f; } v = { .u = (uint32_t)bits << 16 };
    return v.f;
}

static inline uint16_t float_to_bf16(float value) {
    union { float f; uint32_t u; } v = { .f = value };
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(v.u >> 16) | 0x0040;  // NaN stays NaN
    return (uint16_t)((v.u + 0x7fffu + ((v.u >> 16) & 1u)) >> 16);
}

static void bf16_sum(void *in, void *inout, int *length, MPI_Datatype *type) {
    (void)type;
    const uint16_t *a = in;
    uint16_t *b = inout;
    for (int i = 0; i < *length; i++) b[i] = float_to_bf16(bf16_to_float(a[i]) + bf16_to_float(b[i]));
}

static MPI_Op bf16_sum_op = MPI_OP_NULL;

int zoo_mpi_iallreduce_sum_bf16(uint16_t *values, long count, zoo_mpi_reduction **out) {
    *out = NULL;
    pthread_mutex_lock(&lock);
    int status = bf16_sum_op == MPI_OP_NULL ? MPI_Op_create(bf16_sum, 1, &bf16_sum_op) : MPI_SUCCESS;
    pthread_mutex_unlock(&lock);
    if (status != MPI_SUCCESS) return status;
    return iallreduce(values, count, MPI_UINT16_T, sizeof(uint16_t), bf16_sum_op, out);
}

int zoo_mpi_reduction_test(zoo_mpi_reduction *reduction, int *done) {
    pthread_mutex_lock(&lock);
    int status = test_locked(reduction);
    *done = reduction->done;
    pthread_mutex_unlock(&lock);
    return status;
}

int zoo_mpi_reduction_wait(zoo_mpi_reduction *reduction) {
    int status = MPI_SUCCESS;
    pthread_mutex_lock(&lock);
    if (!reduction->done) {
        // Testing under the lock and sleeping without it lets the progress thread share the work; a
        // blocking MPI_Waitall here would hold the lock for the whole wait.
        const struct timespec pause = {0, 50 * 1000};
        while (status == MPI_SUCCESS && !reduction->done) {
            status = test_locked(reduction);
            if (status != MPI_SUCCESS || reduction->done) break;
            pthread_mutex_unlock(&lock);
            nanosleep(&pause, NULL);
            pthread_mutex_lock(&lock);
        }
    }
    pthread_mutex_unlock(&lock);
    return status;
}

void zoo_mpi_reduction_free(zoo_mpi_reduction *reduction) { free(reduction); }

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
    int status = LOCKED(MPI_Allgatherv(values, count, type, out, counts, displacements, type, MPI_COMM_WORLD));
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
    return LOCKED(MPI_Allgather(&value, 1, MPI_INT, out, 1, MPI_INT, MPI_COMM_WORLD));
}

int zoo_mpi_broadcast(void *buffer, long bytes, int root) {
    for (long start = 0; start < bytes; start += CHUNK) {
        long n = bytes - start < CHUNK ? bytes - start : CHUNK;
        int status = LOCKED(MPI_Bcast((char *)buffer + start, (int)n, MPI_BYTE, root, MPI_COMM_WORLD));
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}

int zoo_mpi_barrier(void) { return LOCKED(MPI_Barrier(MPI_COMM_WORLD)); }

void zoo_mpi_abort(int code) {
    pthread_mutex_lock(&lock);  // never released: the job ends here
    MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

double zoo_mpi_time(void) { return LOCKED(MPI_Wtime()); }

int zoo_affinity_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}
