import Fetch
import Foundation
import FuzzSupport

// A web page Google Drive answers instead of a file (untrusted HTML): the confirm form or link is found
// and turned into the next URL, or the page is refused.
let pageURL = URL(string: "https://drive.usercontent.google.com/download?id=x&export=download")!
runFuzzer { bytes in
    _ = GoogleDriveConfirm.confirmURL(page: String(decoding: bytes, as: UTF8.self), pageURL: pageURL)
}
