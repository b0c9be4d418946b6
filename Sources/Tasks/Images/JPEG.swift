import CJPEG
import Foundation

/// JPEG decoding and encoding with libjpeg(-turbo), with the library's defaults (accurate integer DCT, fancy
/// upsampling): the same settings as Pillow, so decoded pixels match what a PyTorch pipeline sees.
///
/// Every problem is a thrown `ImageError` naming the file: libjpeg's fatal errors and its warnings about
/// damaged data (which it would otherwise patch over with gray) alike. See LibJPEGSideStack.swift for how.
public enum JPEG {
    /// Decodes a baseline or progressive JPEG; grayscale becomes RGB, CMYK/YCCK are refused.
    public static func decode(_ bytes: [UInt8], name: String) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageError.empty(file: name) }
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else {
            throw ImageError.wrongFormat(file: name, expected: "a JPEG image", looksLike: sniffedFormat(bytes))
        }
        return try bytes.withUnsafeBufferPointer { input in
            let session = LibJPEGSession<DecodeJob>(DecodeJob(input: input.baseAddress!, inputCount: input.count))
            defer { jpeg_destroy_decompress(&session.job.pointee.info) }
            session.job.pointee.info.err = session.errorManager
            session.job.pointee.info.client_data = session.clientData

            guard session.run(readHeader) else { throw session.failure(file: name, byteCount: bytes.count) }
            let info = session.job.pointee.info
            switch (info.jpeg_color_space, info.num_components) {
            case (JCS_GRAYSCALE, 1), (JCS_YCbCr, 3), (JCS_RGB, 3): break
            case (JCS_CMYK, _), (JCS_YCCK, _):
                throw ImageError.unsupported(file: name, reason: "CMYK JPEG (convert it to RGB first)")
            default:
                throw ImageError.unsupported(file: name, reason: "JPEG with \(info.num_components) colour components")
            }
            let width = Int(info.image_width), height = Int(info.image_height)
            try checkPixelCount(width: width, height: height, file: name)
            // libjpeg converts grayscale to RGB itself.
            session.job.pointee.info.out_color_space = JCS_RGB

            var failed = false
            let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, count in
                session.job.pointee.output = buffer.baseAddress!
                failed = !session.run(decodePixels)
                count = failed ? 0 : width * height * 3
            }
            if failed { throw session.failure(file: name, byteCount: bytes.count) }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    public static func decode(file path: String) throws -> RGBImage {
        try decode(readImageFileBytes(path), name: path)
    }

    /// Baseline JPEG, 4:2:0 chroma subsampling (libjpeg's defaults), `quality` 1…100.
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        guard (1...100).contains(quality) else { throw ImageError.cannotEncode(reason: "JPEG quality \(quality) is outside 1…100") }
        return try image.pixels.withUnsafeBufferPointer { pixels in
            let session = LibJPEGSession<EncodeJob>(EncodeJob(pixels: pixels.baseAddress!, width: image.width, height: image.height,
                                                              quality: Int32(quality)))
            defer {
                jpeg_destroy_compress(&session.job.pointee.info)
                free(session.job.pointee.output)  // libjpeg's jpeg_mem_dest allocates it with malloc
            }
            session.job.pointee.info.err = session.errorManager
            session.job.pointee.info.client_data = session.clientData
            guard session.run(compress) else {
                throw ImageError.cannotEncode(reason: session.call.pointee.failureMessage)
            }
            return Array(UnsafeBufferPointer(start: session.job.pointee.output, count: Int(session.job.pointee.outputSize)))
        }
    }
}

// MARK: - Work done on the side stack (raw pointers only)

private struct DecodeJob {
    var info = jpeg_decompress_struct()
    var input: UnsafePointer<UInt8>
    var inputCount: Int
    /// width × height × 3 bytes, set before `decodePixels`.
    var output: UnsafeMutablePointer<UInt8>? = nil
}

private let readHeader: @convention(c) (UnsafeMutableRawPointer) -> Void = { raw in
    let job = raw.assumingMemoryBound(to: DecodeJob.self)
    jpeg_CreateDecompress(&job.pointee.info, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.stride)
    jpeg_mem_src(&job.pointee.info, job.pointee.input, UInt(job.pointee.inputCount))
    _ = jpeg_read_header(&job.pointee.info, 1)
}

private let decodePixels: @convention(c) (UnsafeMutableRawPointer) -> Void = { raw in
    let job = raw.assumingMemoryBound(to: DecodeJob.self)
    _ = jpeg_start_decompress(&job.pointee.info)
    let rowBytes = Int(job.pointee.info.output_width) * 3
    while job.pointee.info.output_scanline < job.pointee.info.output_height {
        var row: JSAMPROW? = job.pointee.output! + Int(job.pointee.info.output_scanline) * rowBytes
        _ = jpeg_read_scanlines(&job.pointee.info, &row, 1)
    }
    // Reads on to the end-of-image marker, so a file cut after the last scan is reported too.
    _ = jpeg_finish_decompress(&job.pointee.info)
}

private struct EncodeJob {
    var info = jpeg_compress_struct()
    var pixels: UnsafePointer<UInt8>
    var width: Int
    var height: Int
    var quality: Int32
    var output: UnsafeMutablePointer<UInt8>? = nil
    var outputSize: UInt = 0
}

private let compress: @convention(c) (UnsafeMutableRawPointer) -> Void = { raw in
    let job = raw.assumingMemoryBound(to: EncodeJob.self)
    jpeg_CreateCompress(&job.pointee.info, JPEG_LIB_VERSION, MemoryLayout<jpeg_compress_struct>.stride)
    jpeg_mem_dest(&job.pointee.info, &job.pointee.output, &job.pointee.outputSize)
    job.pointee.info.image_width = JDIMENSION(job.pointee.width)
    job.pointee.info.image_height = JDIMENSION(job.pointee.height)
    job.pointee.info.input_components = 3
    job.pointee.info.in_color_space = JCS_RGB
    jpeg_set_defaults(&job.pointee.info)
    jpeg_set_quality(&job.pointee.info, job.pointee.quality, 1)
    jpeg_start_compress(&job.pointee.info, 1)
    let rowBytes = job.pointee.width * 3
    while job.pointee.info.next_scanline < job.pointee.info.image_height {
        var row: JSAMPROW? = UnsafeMutablePointer(mutating: job.pointee.pixels + Int(job.pointee.info.next_scanline) * rowBytes)
        _ = jpeg_write_scanlines(&job.pointee.info, &row, 1)
    }
    jpeg_finish_compress(&job.pointee.info)
}

// MARK: - Session

/// A libjpeg call's state and its job, in manually managed memory so that the side stack sees fixed addresses.
private final class LibJPEGSession<Job> {
    let call: UnsafeMutablePointer<LibJPEGCall>
    let job: UnsafeMutablePointer<Job>
    let errorManager: UnsafeMutablePointer<jpeg_error_mgr>

    init(_ job: Job) {
        call = .allocate(capacity: 1)
        call.initialize(to: LibJPEGCall())
        self.job = .allocate(capacity: 1)
        self.job.initialize(to: job)
        errorManager = LibJPEGCall.installErrorManager(call)
    }

    deinit {
        job.deinitialize(count: 1)
        job.deallocate()
        call.deinitialize(count: 1)
        call.deallocate()
    }

    /// libjpeg hands this to the error manager's callbacks.
    var clientData: UnsafeMutableRawPointer { UnsafeMutableRawPointer(call) }

    func run(_ work: @convention(c) (UnsafeMutableRawPointer) -> Void) -> Bool {
        LibJPEGCall.run(call, work, context: UnsafeMutableRawPointer(job))
    }

    /// The thrown error for libjpeg's report, classified by its message template.
    func failure(file: String, byteCount: Int) -> ImageError {
        let template = call.pointee.failureTemplate ?? ""
        var message = call.pointee.failureMessage
        if template == "Premature end of JPEG file" {
            return .truncated(file: file, reason: "the data ends after \(byteCount) bytes, before the image does")
        }
        // Valid JPEGs that libjpeg cannot decode (lossless or 12-bit); everything else is damage.
        if template.hasPrefix("Unsupported JPEG process") || template.hasPrefix("Unsupported JPEG data precision") {
            return .unsupported(file: file, reason: message)
        }
        if message.hasPrefix("Corrupt JPEG data: ") { message.removeFirst("Corrupt JPEG data: ".count) }
        return .corrupt(file: file, reason: message)
    }
}
