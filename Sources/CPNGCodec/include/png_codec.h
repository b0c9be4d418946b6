// libpng behind setjmp/longjmp, the way C programs use it: libpng reports a fatal error by calling the
// error function, which must not return, and Swift cannot call setjmp. These functions keep every libpng
// call and the jump back in C, and report failures (fatal errors, and warnings, which libpng would
// otherwise let pass) as a status that Swift turns into an error naming the file.
#ifndef ZOO_PNG_CODEC_H
#define ZOO_PNG_CODEC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What went wrong: libpng's message (or the reader's own), and whether the data simply ran out.
typedef struct {
    int failed;
    int truncated;
    char message[240];
} zoo_png_status;

/// IHDR as read: the colour type and bit depth are PNG's own codes (0 grey, 2 RGB, 3 palette, 4 grey +
/// alpha, 6 RGBA; 1, 2, 4, 8 or 16 bits a sample).
typedef struct {
    unsigned int width, height;
    int bit_depth, color_type, interlaced;
} zoo_png_header;

typedef struct zoo_png_decoder zoo_png_decoder;

/// A decoder reading `size` bytes at `data` (not copied: they must outlive the decoder). NULL when out of memory.
zoo_png_decoder *zoo_png_decoder_create(const unsigned char *data, size_t size);
/// Reads the signature and every chunk before the image data. Returns 1, or 0 with `status` filled.
int zoo_png_read_header(zoo_png_decoder *decoder, zoo_png_header *header, zoo_png_status *status);
/// Decodes the whole image (Adam7 too) into `rgb` (width × height × 3 bytes) as Pillow's
/// `Image.open(f).convert("RGB")` does, and reads on to IEND, so that a file cut after its image data is
/// reported too. Returns 1, or 0 with `status` filled.
int zoo_png_read_rgb(zoo_png_decoder *decoder, unsigned char *rgb, zoo_png_status *status);
void zoo_png_decoder_destroy(zoo_png_decoder *decoder);

#ifdef __cplusplus
}
#endif

#endif
