// libjpeg behind setjmp/longjmp, the way C programs use it: libjpeg reports a fatal error by calling
// error_exit, which must not return, and Swift cannot call setjmp. These functions keep every libjpeg call
// and the jump back in C, and report failures (fatal errors and warnings about damaged data, which libjpeg
// would otherwise patch over with gray) as a status that Swift turns into an error naming the file.
#ifndef ZOO_JPEG_CODEC_H
#define ZOO_JPEG_CODEC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What went wrong: libjpeg's formatted message and its unformatted template (to classify it).
typedef struct {
    int failed;
    char message[200];
    char template_text[200];
} zoo_jpeg_status;

typedef enum {
    ZOO_JPEG_GRAY = 1,
    ZOO_JPEG_COLOR = 2,  // YCbCr or RGB: decodes to RGB
    ZOO_JPEG_CMYK = 3,   // CMYK or YCCK: refused
    ZOO_JPEG_OTHER = 4,
} zoo_jpeg_color;

typedef struct {
    int width, height, components;
    zoo_jpeg_color color;
} zoo_jpeg_header;

typedef struct zoo_jpeg_decoder zoo_jpeg_decoder;

/// A decoder reading `size` bytes at `data` (not copied: they must outlive the decoder). NULL when out of memory.
zoo_jpeg_decoder *zoo_jpeg_decoder_create(const unsigned char *data, size_t size);
/// Reads the header. Returns 1, or 0 with `status` filled.
int zoo_jpeg_read_header(zoo_jpeg_decoder *decoder, zoo_jpeg_header *header, zoo_jpeg_status *status);
/// Decodes the whole image as RGB into `rgb` (width × height × 3 bytes) and reads on to the end-of-image
/// marker, so that a file cut after the last scan is reported too. Returns 1, or 0 with `status` filled.
int zoo_jpeg_read_rgb(zoo_jpeg_decoder *decoder, unsigned char *rgb, zoo_jpeg_status *status);
void zoo_jpeg_decoder_destroy(zoo_jpeg_decoder *decoder);

/// Baseline JPEG with libjpeg's defaults (4:2:0) at `quality`. On success returns 1 and sets `*output`
/// (free it with zoo_jpeg_free) and `*output_size`; otherwise returns 0 with `status` filled.
int zoo_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality,
                        unsigned char **output, unsigned long *output_size, zoo_jpeg_status *status);
void zoo_jpeg_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
