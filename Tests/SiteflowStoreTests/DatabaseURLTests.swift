import SiteflowStore
import Testing

@Suite("DatabaseURL")
struct DatabaseURLTests {
    @Test("sqlite:PATH names a SQLite file; the default is siteflow.db in the working directory")
    func sqlite() throws {
        #expect(try DatabaseURL(parsing: "sqlite:data/chat.db") == .sqlite(path: "data/chat.db"))
        #expect(try DatabaseURL(parsing: "sqlite:///var/lib/siteflow.db") == .sqlite(path: "/var/lib/siteflow.db"))
        #expect(DatabaseURL.default == .sqlite(path: "siteflow.db"))
    }

    @Test("postgres:// URLs give user, password, host, port and database")
    func postgres() throws {
        let url = try DatabaseURL(parsing: "postgres://chat:s%40cret@db.example.com:6432/siteflow")
        #expect(url == .postgres(PostgresEndpoint(host: "db.example.com", port: 6432, username: "chat", password: "s@cret", database: "siteflow")))
        let defaults = try DatabaseURL(parsing: "postgresql://chat@localhost/siteflow")
        #expect(defaults == .postgres(PostgresEndpoint(host: "localhost", port: 5432, username: "chat", password: nil, database: "siteflow")))
        let ipv6 = try DatabaseURL(parsing: "postgres://u:p@[::1]:5433/d")
        #expect(ipv6 == .postgres(PostgresEndpoint(host: "::1", port: 5433, username: "u", password: "p", database: "d")))
    }

    @Test("the description never shows the password")
    func hidesPassword() throws {
        let url = try DatabaseURL(parsing: "postgres://chat:hunter2@localhost:5432/siteflow")
        #expect(!url.description.contains("hunter2"))
        let error = #expect(throws: DatabaseURLError.self) { try DatabaseURL(parsing: "postgres://chat:hunter2@localhost:99999/siteflow") }
        #expect(error?.code == .invalidPort)
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test(
        "malformed URLs are refused with a typed error",
        arguments: [
            ("siteflow.db", DatabaseURLError.Code.missingScheme),
            ("mysql://u@h/d", .unsupportedScheme),
            ("sqlite:", .missingPath),
            ("postgres:localhost", .malformed),
            ("postgres://localhost/db", .missingUser),
            ("postgres://u@/db", .missingHost),
            ("postgres://u@h:port/db", .invalidPort),
            ("postgres://u@h:5432", .missingDatabase),
            ("postgres://u@h:5432/", .missingDatabase),
            ("postgres://u:%zz@h/d", .malformed),
        ])
    func refused(text: String, code: DatabaseURLError.Code) {
        let error = #expect(throws: DatabaseURLError.self) { try DatabaseURL(parsing: text) }
        #expect(error?.code == code)
    }
}
