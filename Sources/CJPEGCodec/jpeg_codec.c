#include "jpeg_codec.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

// libjpeg's error manager with the jump target of the call in progress.
struct guard {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    zoo_jpeg_status *status;
};

static void record_and_jump(j_common_ptr info) {
    struct guard *guard = (struct guard *)info->err;
    zoo_jpeg_status *status = guard->status;
    status->failed = 1;
    info->err->format_message(info, status->message);
    const struct jpeg_error_mgr *err = info->err;
    const char *text = "";
    if (err->jpeg_message_table && err->msg_code >= 0 && err->msg_code <= err->last_jpeg_message && err->jpeg_message_table[err->msg_code])
        text = err->jpeg_message_table[err->msg_code];
    snprintf(status->template_text, sizeof status->template_text, "%s", text);
    longjmp(guard->jump, 1);
}

static void emit_message(j_common_ptr info, int level) {
    // Levels >= 0 are trace messages; -1 is a warning, which means damaged data.
    if (level < 0) record_and_jump(info);
}

static void output_message(j_common_ptr info) { (void)info; }

static void install(struct guard *guard, zoo_jpeg_status *status) {
    jpeg_std_error(&guard->manager);
    guard->manager.error_exit = record_and_jump;
    guard->manager.emit_message = emit_message;
    guard->manager.output_message = output_message;
    guard->status = status;
    memset(status, 0, sizeof *status);
}

struct zoo_jpeg_decoder {
    struct jpeg_decompress_struct info;
    struct guard guard;
    zoo_jpeg_status created;  // status of jpeg_create_decompress, which cannot fail but needs one
};

zoo_jpeg_decoder *zoo_jpeg_decoder_create(const unsigned char *data, size_t size) {
    zoo_jpeg_decoder *decoder = calloc(1, sizeof *decoder);
    if (!decoder) return NULL;
    install(&decoder->guard, &decoder->created);
    decoder->info.err = &decoder->guard.manager;
    if (setjmp(decoder->guard.jump)) {
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->info);
    jpeg_mem_src(&decoder->info, data, (unsigned long)size);
    return decoder;
}

int zoo_jpeg_read_header(zoo_jpeg_decoder *decoder, zoo_jpeg_header *header, zoo_jpeg_status *status) {
    install(&decoder->guard, status);
    decoder->info.err = &decoder->guard.manager;
    if (setjmp(decoder->guard.jump)) return 0;
    jpeg_read_header(&decoder->info, TRUE);
    header->width = (int)decoder->info.image_width;
    header->height = (int)decoder->info.image_height;
    header->components = decoder->info.num_components;
    switch (decoder->info.jpeg_color_space) {
    case JCS_GRAYSCALE: header->color = decoder->info.num_components == 1 ? ZOO_JPEG_GRAY : ZOO_JPEG_OTHER; break;
    case JCS_YCbCr:
    case JCS_RGB: header->color = decoder->info.num_components == 3 ? ZOO_JPEG_COLOR : ZOO_JPEG_OTHER; break;
    case JCS_CMYK:
    case JCS_YCCK: header->color = ZOO_JPEG_CMYK; break;
    default: header->color = ZOO_JPEG_OTHER; break;
    }
    return 1;
}

int zoo_jpeg_read_rgb(zoo_jpeg_decoder *decoder, unsigned char *rgb, zoo_jpeg_status *status) {
    install(&decoder->guard, status);
    if (setjmp(decoder->guard.jump)) return 0;
    decoder->info.out_color_space = JCS_RGB;  // libjpeg converts grayscale itself
    jpeg_start_decompress(&decoder->info);
    size_t row_bytes = (size_t)decoder->info.output_width * 3;
    while (decoder->info.output_scanline < decoder->info.output_height) {
        JSAMPROW row = rgb + (size_t)decoder->info.output_scanline * row_bytes;
        jpeg_read_scanlines(&decoder->info, &row, 1);
    }
    jpeg_finish_decompress(&decoder->info);
    return 1;
}

void zoo_jpeg_decoder_destroy(zoo_jpeg_decoder *decoder) {
    if (!decoder) return;
    jpeg_destroy_decompress(&decoder->info);
    free(decoder);
}

// On the heap, so that nothing the error path reads lives in a local variable changed after setjmp.
struct encoder {
    struct jpeg_compress_struct info;
    struct guard guard;
};

int zoo_jpeg_encode_rgb(const unsigned char *rgb, int width, int height, int quality,
                        unsigned char **output, unsigned long *output_size, zoo_jpeg_status *status) {
    *output = NULL;
    *output_size = 0;
    struct encoder *const encoder = calloc(1, sizeof *encoder);
    if (!encoder) {
        memset(status, 0, sizeof *status);
        status->failed = 1;
        snprintf(status->message, sizeof status->message, "out of memory");
        return 0;
    }
    install(&encoder->guard, status);
    encoder->info.err = &encoder->guard.manager;
    if (setjmp(encoder->guard.jump)) {
        jpeg_destroy_compress(&encoder->info);
        free(encoder);
        free(*output);  // jpeg_mem_dest allocates it with malloc
        *output = NULL;
        *output_size = 0;
        return 0;
    }
    jpeg_create_compress(&encoder->info);
    jpeg_mem_dest(&encoder->info, output, output_size);
    encoder->info.image_width = (JDIMENSION)width;
    encoder->info.image_height = (JDIMENSION)height;
    encoder->info.input_components = 3;
    encoder->info.in_color_space = JCS_RGB;
    jpeg_set_defaults(&encoder->info);
    jpeg_set_quality(&encoder->info, quality, TRUE);
    jpeg_start_compress(&encoder->info, TRUE);
    const size_t row_bytes = (size_t)width * 3;
    while (encoder->info.next_scanline < encoder->info.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)encoder->info.next_scanline * row_bytes);
        jpeg_write_scanlines(&encoder->info, &row, 1);
    }
    jpeg_finish_compress(&encoder->info);
    jpeg_destroy_compress(&encoder->info);
    free(encoder);
    return 1;
}

void zoo_jpeg_free(void *pointer) { free(pointer); }
