import SiteflowApp
import SiteflowRealtime
import SiteflowRuntime
import SiteflowRuntimeTesting
import Testing

@Suite("Which chat rooms exist, and room creations per client address")
struct ChatRoomsTests {
    @Test("joining a room that exists is free; creating one takes a token of the address's budget, refilled over a minute; refusals are counted")
    func creationBudgetPerAddress() {
        let clock = ManualClock()
        let statistics = SocketStatistics()
        let rooms = ChatRooms(stored: ["lobby"], policy: .init(roomsPerMinute: 2), statistics: statistics, clock: clock)
        for _ in 0..<5 { #expect(rooms.admit("lobby", address: "10.0.0.1") == .existing) }
        #expect(rooms.admit("a", address: "10.0.0.1") == .created)
        #expect(rooms.admit("a", address: "10.0.0.1") == .existing)
        #expect(rooms.admit("b", address: "10.0.0.1") == .created)
        #expect(!rooms.mayJoin("c", address: "10.0.0.1"))
        #expect(rooms.admit("c", address: "10.0.0.1") == .rateLimited)
        #expect(rooms.mayJoin("a", address: "10.0.0.1"), "an existing room is still free")
        #expect(rooms.admit("c", address: "10.0.0.2") == .created, "another address has its own budget")
        #expect(statistics[.roomCreationRateLimited] == 2)
        #expect(!rooms.exists("d"))

        _ = clock.advance(by: .seconds(30))  // one of two tokens back
        #expect(rooms.admit("d", address: "10.0.0.1") == .created)
        #expect(rooms.admit("e", address: "10.0.0.1") == .rateLimited)
        #expect(rooms.count == 5)
    }

    @Test("a room created by a join is forgotten when it empties unless it has a stored message; a stored room stays")
    func forgetsUnusedRooms() {
        let rooms = ChatRooms(stored: ["lobby"], policy: .init(roomsPerMinute: 10))
        #expect(rooms.admit("quiet", address: nil) == .created)
        #expect(rooms.admit("busy", address: nil) == .created)
        rooms.stored("busy")
        for room in ["lobby", "quiet", "busy"] { rooms.forgetIfUnused(room) }
        #expect(rooms.exists("lobby") && rooms.exists("busy"))
        #expect(!rooms.exists("quiet"))
        #expect(rooms.admit("quiet", address: nil) == .created, "its next join creates it again")
    }
}
