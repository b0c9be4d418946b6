#include <cblas.h>
// Debian's openblas-pthread headers declare these; kept here so Swift sees them by name.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
