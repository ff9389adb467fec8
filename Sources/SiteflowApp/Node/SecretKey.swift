import Foundation
import SiteflowRealtime

/// The node's secret key: what signs the tokens it issues (nickname claims), so only this node —
/// or another given the same key — can make a token it accepts.
///
/// It comes from `SITEFLOW_SECRET_KEY` (at least 32 characters; give every node of a cluster the
/// same) or from a key file beside the database, generated on the first start (64 random bytes,
/// base64url, file mode 0600). A key file that others may read is refused: it would let them
/// sign in as anyone. Rotating the key (a new value, or deleting the file) invalidates every
/// token issued with the old one; clients then claim their nicknames again.
public struct SecretKey: Sendable {
    /// The environment variable that overrides the key file.
    public static let environmentVariable = "SITEFLOW_SECRET_KEY"

    /// The key's bytes.
    public let bytes: [UInt8]
    /// Where it came from, for the start-up log (the variable's name or the file's path).
    public let origin: String

    /// The key from `environment`'s ``environmentVariable`` if set, else from `file` (created
    /// with a new random key if missing).
    /// - Throws: ``SecretKeyError`` for a short key, a key file others may read, or a file that
    ///   cannot be read or written (each says what to do).
    public static func load(environment: [String: String], file: String) throws(SecretKeyError) -> SecretKey {
        if let value = environment[environmentVariable] {
            guard value.utf8.count >= 32 else { throw .tooShort(environmentVariable) }
            return SecretKey(bytes: Array(value.utf8), origin: environmentVariable)
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: file) {
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            guard mode & 0o077 == 0 else { throw .readableByOthers(file, mode: mode) }
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                text.utf8.count >= 32
            else { throw .unreadable(file) }
            return SecretKey(bytes: Array(text.utf8), origin: file)
        }
        var generator = SystemRandomNumberGenerator()
        let text = Base64URL.encode((0..<64).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        // O_EXCL: two nodes starting at once cannot each write a different key.
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { return try load(environment: [:], file: file) }
            throw .unwritable(file, reason: String(cString: strerror(errno)))
        }
        let line = Array((text + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == line.count, synced else {
            unlink(file)
            throw .unwritable(file, reason: "short write")
        }
        return SecretKey(bytes: Array(text.utf8), origin: file)
    }

    /// A key given directly (tests, embedding applications); at least 32 bytes.
    public init(bytes: [UInt8]) throws(SecretKeyError) {
        guard bytes.count >= 32 else { throw .tooShort("the secret key") }
        self.init(bytes: bytes, origin: "given")
    }

    private init(bytes: [UInt8], origin: String) {
        self.bytes = bytes
        self.origin = origin
    }

    /// The key file that belongs beside `database`: `<path>.secret-key` for SQLite, and
    /// `siteflow.secret-key` in the working directory for PostgreSQL (where nodes should rather
    /// share ``environmentVariable``).
    public static func defaultFile(for database: String?) -> String {
        database.map { $0 + ".secret-key" } ?? "siteflow.secret-key"
    }
}

/// Why the secret key could not be had.
public enum SecretKeyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The key is shorter than 32 bytes (where it came from is named).
    case tooShort(String)
    /// The key file may be read by its group or others (mode shown in octal).
    case readableByOthers(String, mode: Int)
    /// The key file exists but holds no key.
    case unreadable(String)
    /// The key file could not be created.
    case unwritable(String, reason: String)

    public var description: String {
        switch self {
        case .tooShort(let origin):
            "\(origin) must be at least 32 characters; generate one with `openssl rand -base64 48`"
        case .readableByOthers(let file, let mode):
            "the secret key file \(file) is readable by others (mode \(String(mode, radix: 8))); run `chmod 600 \(file)`"
        case .unreadable(let file):
            "the secret key file \(file) holds no key of at least 32 characters; delete it to generate a new one (issued tokens become invalid)"
        case .unwritable(let file, let reason):
            "cannot create the secret key file \(file) (\(reason)); make its folder writable or set SITEFLOW_SECRET_KEY"
        }
    }
}
