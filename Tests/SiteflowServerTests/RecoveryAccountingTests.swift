import SiteflowLoadTest
import Testing

/// The recovery mode's arithmetic, on plain values: phoenix.js's retry schedules, disconnect
/// events and the time until the clients are joined again, and the history audit's missing and
/// duplicated messages.
@Suite("Load tester recovery accounting")
struct RecoveryAccountingTests {
    @Test("reconnects follow phoenix.js: 10, 50, 100, 150, 200, 250, 500, 1000, 2000 ms, then 5 s, with no jitter")
    func reconnectSchedule() {
        let steps = (1...12).map { PhoenixBackoff.reconnectAfter(tries: $0) }
        #expect(steps == [10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000, 5000].map { Duration.milliseconds($0) })
        #expect(PhoenixBackoff.reconnectAfter(tries: 1000) == .seconds(5))
        #expect(PhoenixBackoff.reconnectAfter(tries: 3) == PhoenixBackoff.reconnectAfter(tries: 3), "the same for every client")
    }

    @Test("rejoins follow phoenix.js: 1, 2, 5 s, then 10 s")
    func rejoinSchedule() {
        let steps = (1...6).map { PhoenixBackoff.rejoinAfter(tries: $0) }
        #expect(steps == [1, 2, 5, 10, 10, 10].map { Duration.seconds($0) })
        #expect(PhoenixBackoff.pushTimeout == .seconds(10))
    }

    @Test("an event's 99% and 100% instants count the clients still down against all clients")
    func eventFractions() {
        // 100 clients, 50 went down at 0 and came back at 1…50 ms.
        let event = RecoveryEvent(start: 0, clients: 100, rejoinedAt: (1...50).reversed().map { UInt64($0) * 1_000_000 }, stillDown: 0)
        #expect(event.wentDown == 50)
        #expect(event.timeUntil(joined: 0.99) == .milliseconds(49), "one client of 100 may still be down")
        #expect(event.timeUntil(joined: 1) == .milliseconds(50))

        let partial = RecoveryEvent(start: 0, clients: 100, rejoinedAt: (1...49).map { UInt64($0) * 1_000_000 }, stillDown: 1)
        #expect(partial.timeUntil(joined: 0.99) == .milliseconds(49))
        #expect(partial.timeUntil(joined: 1) == nil, "never all joined again")

        let small = RecoveryEvent(start: 5, clients: 1000, rejoinedAt: [9_000_000], stillDown: 0)
        #expect(small.timeUntil(joined: 0.99) == .zero, "fewer than 1% ever went down")
    }

    @Test("events seen by several processes within 2 s are one event over all the clients")
    func mergingEvents() {
        let first = RecoveryEvent(start: 1_000_000_000, clients: 10, rejoinedAt: [1_300_000_000], stillDown: 0)
        let second = RecoveryEvent(start: 1_004_000_000, clients: 10, rejoinedAt: [1_200_000_000, 1_250_000_000], stillDown: 1)
        let later = RecoveryEvent(start: 9_000_000_000, clients: 10, rejoinedAt: [9_100_000_000], stillDown: 0)
        let merged = RecoveryEvent.merged([later, second, first], clients: 20)
        #expect(merged.count == 2)
        #expect(merged.first?.start == 1_000_000_000)
        #expect(merged.first?.clients == 20)
        #expect(merged.first?.wentDown == 4)
        #expect(merged.first?.stillDown == 1)
        #expect(merged.last?.start == 9_000_000_000)
    }

    @Test("the tracker opens an event at the first close after steady state and closes it when every client that went down is joined again")
    func tracker() {
        var tracker = RecoveryTracker(clients: 3)
        tracker.clientWentDown(0, at: 1)
        tracker.clientJoined(0, at: 2)
        #expect(tracker.events.isEmpty, "nothing before steady state")
        tracker.watch()
        tracker.clientWentDown(0, at: 10)
        tracker.clientWentDown(1, at: 11)
        tracker.clientJoined(0, at: 20)
        tracker.clientWentDown(0, at: 25)
        #expect(tracker.clientsDown == 2)
        tracker.clientJoined(1, at: 30)
        #expect(tracker.events.isEmpty, "client 0 went down again")
        tracker.clientJoined(0, at: 40)
        #expect(tracker.events == [RecoveryEvent(start: 10, clients: 3, rejoinedAt: tracker.events.first?.rejoinedAt ?? [], stillDown: 0)])
        #expect(tracker.events.first?.rejoinedAt.sorted() == [30, 40], "each client once, with its last rejoin")
        tracker.clientJoined(2, at: 50)
        tracker.clientWentDown(2, at: 60)
        let events = tracker.finish()
        #expect(events.count == 2)
        #expect(events.last == RecoveryEvent(start: 60, clients: 3, rejoinedAt: [], stillDown: 1))
    }

    @Test("the audit counts acknowledged ids missing from history and keys stored under more than one id")
    func historyAudit() {
        let room = HistoryAudit.room(
            acknowledged: [1, 2, 3, 3],
            history: [(id: 4, key: "k3"), (id: 3, key: "k3"), (id: 1, key: "k1"), (id: 7, key: "k7"), (id: 8, key: "k7"), (id: 9, key: "k7"), (id: 0, key: nil)])
        #expect(room.acknowledged == 3)
        #expect(room.missing == 1)
        #expect(room.missingExamples == [2])
        #expect(room.duplicatedKeys == 2)
        #expect(room.duplicates == 3, "k3 once more, k7 twice more")
        #expect(room.messagesRead == 6, "messages of other runs (no key) are not counted")

        var total = room
        total.add(HistoryAudit.room(acknowledged: [10], history: [(id: 10, key: "k10")]))
        total.add(HistoryAudit.unreadRoom("room:x", acknowledged: [20, 21]))
        #expect(total.acknowledged == 6)
        #expect(total.missing == 3)
        #expect(total.roomsRead == 2)
        #expect(total.roomsUnread == ["room:x"])
        #expect(total.duplicates == 3)
    }

    @Test("keys are time-ordered per client and found again in a stored body of the same run only")
    func keys() {
        let ninth = RecoveryMessage.key(run: "r1", client: 7, sequence: 9)
        let tenth = RecoveryMessage.key(run: "r1", client: 7, sequence: 10)
        #expect(ninth == "r1-7-000000009")
        #expect(ninth < tenth)
        let body = RecoveryMessage.body(client: 7, sequence: 10, createdAt: 123, key: tenth)
        #expect(RecoveryMessage.key(inBody: body, run: "r1") == tenth)
        #expect(RecoveryMessage.key(inBody: body, run: "r2") == nil)
        #expect(RecoveryMessage.key(inBody: "hello r1-7-000000010", run: "r1") == nil)
    }

    @Test("p99 round trips are taken over the pushes sent in a window: the 10 s before a disruption and the 10 s after recovery")
    func roundTripWindows() {
        var result = RecoveryResult()
        let second: UInt64 = 1_000_000_000
        for index in 0..<100 { result.roundTrips.record(sentAt: UInt64(index) * second / 10, micros: 1000) }  // 0…10 s: 1 ms
        for index in 0..<100 { result.roundTrips.record(sentAt: 20 * second + UInt64(index) * second / 10, micros: 5000) }  // 20…30 s: 5 ms
        result.roundTrips.record(sentAt: 10 * second + 500, micros: 900_000)  // during the outage
        result.disruptedAt = 10 * second
        let event = RecoveryEvent(start: 10 * second + 1000, clients: 1, rejoinedAt: [20 * second], stillDown: 0)
        #expect(result.roundTripBefore(event)?.micros == 1000)
        #expect(result.roundTripBefore(event)?.samples == 100)
        #expect(result.roundTripAfter(event)?.micros == 5000)
        #expect(result.roundTripAfter(event)?.samples == 100)
        #expect(result.roundTrips.percentile(99, from: 40 * second, to: 50 * second) == nil)
    }

    @Test("results of several processes add up, and their events merge")
    func mergingResults() {
        var first = RecoveryResult()
        first.clients = 2
        first.acknowledged = 3
        first.acknowledgedIDs = ["room:a": [1, 2], "room:b": [3]]
        first.failedForGood = ["body must be a string": 1]
        first.events = [RecoveryEvent(start: 100, clients: 2, rejoinedAt: [200, 300], stillDown: 0)]
        var second = RecoveryResult()
        second.clients = 3
        second.acknowledged = 1
        second.acknowledgedIDs = ["room:a": [4]]
        second.failedForGood = ["body must be a string": 2]
        second.events = [RecoveryEvent(start: 150, clients: 3, rejoinedAt: [400], stillDown: 0)]
        var merged = RecoveryResult()
        merged.merge(first)
        merged.merge(second)
        merged.mergeEvents(clients: 5)
        #expect(merged.clients == 5)
        #expect(merged.acknowledged == 4)
        #expect(merged.acknowledgedIDs["room:a"]?.sorted() == [1, 2, 4])
        #expect(merged.failedForGoodCount == 3)
        #expect(merged.events.count == 1)
        #expect(merged.events.first?.timeUntil(joined: 1) == .nanoseconds(300))
        #expect(merged.report.contains("event 1: 3 of 5 clients went down"))
    }
}
