import Foundation
import SiteflowApp
import SiteflowStore
import Testing

@Suite("The node's secret key")
struct SecretKeyTests {
    private func withFolder(_ body: (URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("siteflow-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder)
    }

    private func mode(_ path: String) throws -> Int {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test("generated on the first start beside the database, mode 0600, and the same on the next start")
    func generatedAndKept() async throws {
        try await withFolder { folder in
            let database = folder.appendingPathComponent("chat.db").path
            let first = try await SiteflowNode.start(NodeConfiguration(port: 0, database: .sqlite(path: database), runsDigestJob: false))
            let firstKey = first.secretKey.bytes
            await first.stop()
            let file = database + ".secret-key"
            #expect(try mode(file) == 0o600)
            #expect(firstKey.count >= 64)
            let second = try await SiteflowNode.start(NodeConfiguration(port: 0, database: .sqlite(path: database), runsDigestJob: false))
            let secondKey = second.secretKey.bytes
            await second.stop()
            #expect(secondKey == firstKey)
        }
    }

    @Test("SITEFLOW_SECRET_KEY wins over the file; a short one, a key file others can read and an empty one are clear errors")
    func environmentAndRefusals() async throws {
        try await withFolder { folder in
            let file = folder.appendingPathComponent("node.secret-key").path
            let fromEnvironment = try SecretKey.load(environment: ["SITEFLOW_SECRET_KEY": String(repeating: "k", count: 40)], file: file)
            #expect(fromEnvironment.bytes == Array(String(repeating: "k", count: 40).utf8))
            #expect(fromEnvironment.origin == "SITEFLOW_SECRET_KEY")
            #expect(!FileManager.default.fileExists(atPath: file), "no file is written when the variable is set")
            #expect(throws: SecretKeyError.tooShort("SITEFLOW_SECRET_KEY")) {
                try SecretKey.load(environment: ["SITEFLOW_SECRET_KEY": "short"], file: file)
            }
            let generated = try SecretKey.load(environment: [:], file: file)
            #expect(try SecretKey.load(environment: [:], file: file).bytes == generated.bytes)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
            #expect(throws: SecretKeyError.readableByOthers(file, mode: 0o644)) { try SecretKey.load(environment: [:], file: file) }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            try Data("\n".utf8).write(to: URL(fileURLWithPath: file))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            #expect(throws: SecretKeyError.unreadable(file)) { try SecretKey.load(environment: [:], file: file) }
            #expect(SecretKeyError.readableByOthers(file, mode: 0o644).description.contains("chmod 600"))
        }
    }
}
