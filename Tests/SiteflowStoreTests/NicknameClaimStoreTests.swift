import SiteflowStore
import Testing

@Suite("Store: held nicknames")
struct NicknameClaimStoreTests {
    @Test("a claim is kept until deleted by its own id; a newer claim of the key replaces it and survives the older one's delete",
          arguments: StoreBackend.available)
    func claimsKeptReplacedAndDeleted(backend: StoreBackend) async throws {
        let store = try await backend.makeStore()
        defer { Task { await store.close() } }
        #expect(try await store.nicknameClaims().isEmpty)
        let alice = NicknameClaimRecord(key: "alice", claimID: "c1")
        try await store.saveNicknameClaim(alice)
        try await store.saveNicknameClaim(NicknameClaimRecord(key: "bob", claimID: "c2"))
        #expect(Set(try await store.nicknameClaims()) == [alice, NicknameClaimRecord(key: "bob", claimID: "c2")])

        let newer = NicknameClaimRecord(key: "alice", claimID: "c3")
        try await store.saveNicknameClaim(newer)
        try await store.deleteNicknameClaim(alice)
        #expect(Set(try await store.nicknameClaims()) == [newer, NicknameClaimRecord(key: "bob", claimID: "c2")],
                "the older claim's delete leaves the newer one")
        try await store.deleteNicknameClaim(newer)
        #expect(try await store.nicknameClaims() == [NicknameClaimRecord(key: "bob", claimID: "c2")])
    }
}
