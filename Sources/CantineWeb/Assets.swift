// The pages, styles and scripts under Assets/, embedded in the binary by SwiftPM
// (`.embedInCode`: one binary, nothing looked up on disk at run time; the space may have no
// internet, so no CDN either). Each is served with its content type; the sign-in page is the
// only one with blanks to fill, escaped here.

import Hummingbird

/// One embedded file and how it is served.
struct Asset: Sendable {
    let bytes: [UInt8]
    let type: String

    static let common = Asset(bytes: PackageResources.common_js, type: javascript)
    static let displayPage = Asset(bytes: PackageResources.display_html, type: page)
    static let displayStyle = Asset(bytes: PackageResources.display_css, type: css)
    static let displayScript = Asset(bytes: PackageResources.display_js, type: javascript)
    /// The blackboard's handwriting: Comic Neue (SIL OFL 1.1, Assets/display/fonts/OFL.txt).
    static let chalkRegular = Asset(bytes: PackageResources.ComicNeue_Regular_woff2, type: woff2)
    static let chalkBold = Asset(bytes: PackageResources.ComicNeue_Bold_woff2, type: woff2)
    static let staffPage = Asset(bytes: PackageResources.staff_html, type: page)
    static let staffStyle = Asset(bytes: PackageResources.staff_css, type: css)
    static let staffScript = Asset(bytes: PackageResources.staff_js, type: javascript)
    static let programStyle = Asset(bytes: PackageResources.program_css, type: css)
    static let loginStyle = Asset(bytes: PackageResources.login_css, type: css)

    static let page = "text/html; charset=utf-8"
    static let css = "text/css; charset=utf-8"
    static let javascript = "text/javascript; charset=utf-8"
    static let woff2 = "font/woff2"

    /// The file as text (every asset is UTF-8).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Served as a static file: revalidated on every load, never sniffed.
    var response: Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The sign-in form, with its message (if any) and where to go next, both escaped.
    static func loginPage(next: String, error: String?) -> String {
        let message = error.map { "<p class=\"error\" role=\"alert\">\(escape($0))</p>" } ?? ""
        return loginTemplate.replacingOccurrences(of: "{{error}}", with: message)
            .replacingOccurrences(of: "{{next}}", with: escape(next))
    }

    private static let loginTemplate = String(decoding: PackageResources.login_html, as: UTF8.self)

    /// Text made safe inside HTML content and attribute values.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
