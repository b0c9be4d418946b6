#include "png_codec.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

// Everything the error path reads lives here, on the heap: nothing a longjmp returns to may depend on a
// local variable changed after setjmp.
struct zoo_png_decoder {
    png_structp png;
    png_infop info;
    const unsigned char *data;
    size_t size, position;
    jmp_buf jump;
    zoo_png_status *status;
    zoo_png_status created;  // status of the creation, which needs one
    char warning[240];       // libpng's first warning in the call in progress, if any
    unsigned char *native;   // decoded rows in libpng's layout (one row, or the whole image for Adam7)
    png_bytep *rows;
};

static void install(zoo_png_decoder *decoder, zoo_png_status *status) {
    memset(status, 0, sizeof *status);
    decoder->status = status;
    decoder->warning[0] = 0;
}

static void fail(zoo_png_decoder *decoder, const char *message) {
    decoder->status->failed = 1;
    snprintf(decoder->status->message, sizeof decoder->status->message, "%s", message);
}

// libpng's error function must not return. libpng often warns with the details just before a terse
// error ("Image width is zero in IHDR", then "Invalid IHDR data"): the message keeps both.
static void on_error(png_structp png, png_const_charp message) {
    zoo_png_decoder *decoder = png_get_error_ptr(png);
    char text[sizeof decoder->status->message];
    if (decoder->warning[0]) snprintf(text, sizeof text, "%s (%s)", message ? message : "libpng error", decoder->warning);
    else snprintf(text, sizeof text, "%s", message ? message : "libpng error");
    fail(decoder, text);
    longjmp(decoder->jump, 1);
}

// Warnings are kept and turned into a failure when the step returns: libpng warns about damaged data it
// then works around (a bad ancillary CRC, extra image data, a palette index past the palette …), and a
// jump from inside a warning could leave libpng in a state it does not expect to be left in.
static void on_warning(png_structp png, png_const_charp message) {
    zoo_png_decoder *decoder = png_get_error_ptr(png);
    if (decoder->warning[0] == 0) snprintf(decoder->warning, sizeof decoder->warning, "%s", message ? message : "libpng warning");
}

static int warned(zoo_png_decoder *decoder) {
    if (decoder->warning[0] == 0) return 0;
    fail(decoder, decoder->warning);
    return 1;
}

// Bytes from memory; running out is truncation, reported as such rather than as libpng's "Read Error".
static void read_data(png_structp png, png_bytep out, size_t length) {
    zoo_png_decoder *decoder = png_get_io_ptr(png);
    if (length > decoder->size - decoder->position) {
        decoder->status->truncated = 1;
        char message[120];
        snprintf(message, sizeof message, "the data ends after %zu bytes, before the image does", decoder->size);
        fail(decoder, message);
        longjmp(decoder->jump, 1);
    }
    memcpy(out, decoder->data + decoder->position, length);
    decoder->position += length;
}

zoo_png_decoder *zoo_png_decoder_create(const unsigned char *data, size_t size) {
    zoo_png_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    decoder->data = data;
    decoder->size = size;
    install(decoder, &decoder->created);
    if (setjmp(decoder->jump)) {
        png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
        free(decoder);
        return NULL;
    }
    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, on_error, on_warning);
    if (!decoder->png) {
        free(decoder);
        return NULL;
    }
    decoder->info = png_create_info_struct(decoder->png);
    if (!decoder->info) {
        png_destroy_read_struct(&decoder->png, NULL, NULL);
        free(decoder);
        return NULL;
    }
    png_set_read_fn(decoder->png, decoder, read_data);
    // The pixel limit is zoo's (checked in Swift against the header), not libpng's default of 10^6 a side.
    png_set_user_limits(decoder->png, 0x7fffffff, 0x7fffffff);
    // Pillow's convert("RGB") uses no chunk but IHDR, PLTE and IDAT: gamma, colour profiles, text and
    // transparency (which convert("RGB") drops) are skipped unparsed, so that libpng neither applies them
    // nor warns about their contents. Their CRCs are still checked.
    png_set_keep_unknown_chunks(decoder->png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_keep_unknown_chunks(decoder->png, PNG_HANDLE_CHUNK_NEVER, (png_const_bytep) "tRNS", 1);
    // A palette index past the palette's end is black, as in Pillow, not a complaint.
    png_set_check_for_invalid_index(decoder->png, 0);
    return decoder;
}

int zoo_png_read_header(zoo_png_decoder *decoder, zoo_png_header *header, zoo_png_status *status) {
    install(decoder, status);
    if (setjmp(decoder->jump)) return 0;
    png_read_info(decoder->png, decoder->info);
    if (warned(decoder)) return 0;
    header->width = png_get_image_width(decoder->png, decoder->info);
    header->height = png_get_image_height(decoder->png, decoder->info);
    header->bit_depth = png_get_bit_depth(decoder->png, decoder->info);
    header->color_type = png_get_color_type(decoder->png, decoder->info);
    header->interlaced = png_get_interlace_type(decoder->png, decoder->info) != PNG_INTERLACE_NONE;
    return 1;
}

// One row of libpng's output (samples of 1, 2, 4 bits unpacked to a byte each, 16-bit samples big-endian)
// as Pillow's convert("RGB") of the mode Pillow opens it in: grey 1/2/4/8 bits scaled to 0…255 by bit
// replication; 16-bit grey ("I;16") clamped to 255; every other 16-bit sample its high byte; alpha
// dropped (not composited); palette indices looked up, those past the palette's end black.
static void convert_row(const unsigned char *in, unsigned char *out, size_t width, int color_type, int bit_depth,
                        png_const_colorp palette, int palette_count) {
    const int wide = bit_depth == 16;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
        for (size_t x = 0; x < width; x++) {
            unsigned char v;
            if (wide) v = in[2 * x] == 0 ? in[2 * x + 1] : 255;
            else v = (unsigned char)(in[x] * (255 / ((1 << bit_depth) - 1)));
            out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = v;
        }
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
        for (size_t x = 0; x < width; x++) out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x * (wide ? 4 : 2)];
        break;
    case PNG_COLOR_TYPE_RGB:
    case PNG_COLOR_TYPE_RGB_ALPHA: {
        const size_t step = (color_type == PNG_COLOR_TYPE_RGB ? 3 : 4) * (wide ? 2 : 1);
        for (size_t x = 0; x < width; x++) {
            const unsigned char *p = in + x * step;
            out[3 * x] = p[0];
            out[3 * x + 1] = p[wide ? 2 : 1];
            out[3 * x + 2] = p[wide ? 4 : 2];
        }
        break;
    }
    case PNG_COLOR_TYPE_PALETTE:
        for (size_t x = 0; x < width; x++) {
            const int i = in[x];
            if (i < palette_count) {
                out[3 * x] = palette[i].red;
                out[3 * x + 1] = palette[i].green;
                out[3 * x + 2] = palette[i].blue;
            } else {
                out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = 0;
            }
        }
        break;
    }
}

int zoo_png_read_rgb(zoo_png_decoder *decoder, unsigned char *rgb, zoo_png_status *status) {
    install(decoder, status);
    if (setjmp(decoder->jump)) return 0;
    png_structp png = decoder->png;
    png_infop info = decoder->info;
    const size_t width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    const int bit_depth = png_get_bit_depth(png, info), color_type = png_get_color_type(png, info);
    if (bit_depth < 8) png_set_packing(png);
    const int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (warned(decoder)) return 0;

    png_colorp palette = NULL;
    int palette_count = 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE && png_get_PLTE(png, info, &palette, &palette_count) == 0) {
        fail(decoder, "palette image without a PLTE chunk");
        return 0;
    }
    // Adam7 fills every row in every pass, so the whole image is kept in libpng's layout until the last;
    // a plain image needs one row at a time.
    const size_t row_bytes = png_get_rowbytes(png, info);
    const size_t kept = passes > 1 ? height : 1;
    if (row_bytes == 0 || kept > SIZE_MAX / row_bytes) {
        fail(decoder, "image rows too large");
        return 0;
    }
    decoder->native = malloc(row_bytes * kept);
    decoder->rows = malloc(sizeof(png_bytep) * kept);
    if (!decoder->native || !decoder->rows) {
        fail(decoder, "out of memory for the image");
        return 0;
    }
    for (size_t y = 0; y < kept; y++) decoder->rows[y] = decoder->native + y * row_bytes;

    for (int pass = 0; pass < passes; pass++) {
        for (size_t y = 0; y < height; y++) {
            png_bytep row = decoder->rows[passes > 1 ? y : 0];
            png_read_row(png, row, NULL);
            if (warned(decoder)) return 0;
            if (passes == 1) convert_row(row, rgb + y * width * 3, width, color_type, bit_depth, palette, palette_count);
        }
    }
    if (passes > 1) {
        for (size_t y = 0; y < height; y++)
            convert_row(decoder->rows[y], rgb + y * width * 3, width, color_type, bit_depth, palette, palette_count);
    }
    // On to IEND: the last CRC and zlib's checksum are checked there.
    png_read_end(png, NULL);
    if (warned(decoder)) return 0;
    return 1;
}

void zoo_png_decoder_destroy(zoo_png_decoder *decoder) {
    if (!decoder) return;
    png_destroy_read_struct(&decoder->png, &decoder->info, NULL);
    free(decoder->native);
    free(decoder->rows);
    free(decoder);
}
