import Foundation
import SiteflowStore
import Testing

@Suite("CronExpression")
struct CronExpressionTests {
    /// 2026-03-14 09:26:53 UTC, a Saturday.
    let saturday = Date(timeIntervalSince1970: 1_773_480_413)

    private func utc(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text) ?? Date.distantPast
    }

    @Test("every minute fires at the next whole minute")
    func everyMinute() throws {
        let cron = try CronExpression(parsing: "* * * * *")
        #expect(cron.nextFire(after: utc("2026-03-14T09:26:53Z")) == utc("2026-03-14T09:27:00Z"))
        #expect(cron.nextFire(after: utc("2026-03-14T09:27:00Z")) == utc("2026-03-14T09:28:00Z"))
    }

    @Test("steps, ranges, lists and names", arguments: [
        ("*/15 * * * *", "2026-03-14T09:26:53Z", "2026-03-14T09:30:00Z"),
        ("0 9-17/4 * * *", "2026-03-14T09:26:53Z", "2026-03-14T13:00:00Z"),
        ("5,10 0 * * *", "2026-03-14T09:26:53Z", "2026-03-15T00:05:00Z"),
        ("0 0 1 jan *", "2026-03-14T09:26:53Z", "2027-01-01T00:00:00Z"),
        ("30 8 * * mon-fri", "2026-03-14T09:26:53Z", "2026-03-16T08:30:00Z"),
        ("0 12 * * 7", "2026-03-14T09:26:53Z", "2026-03-15T12:00:00Z"),
        ("0 0 29 2 *", "2026-03-14T09:26:53Z", "2028-02-29T00:00:00Z"),
        ("0 0 31 * *", "2026-04-01T00:00:00Z", "2026-05-31T00:00:00Z"),
        ("@hourly", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z"),
        ("@weekly", "2026-03-14T09:26:53Z", "2026-03-15T00:00:00Z"),
        // Both day fields restricted: either one matches (the 1st, or any Monday).
        ("0 0 1 * mon", "2026-03-14T09:26:53Z", "2026-03-16T00:00:00Z"),
    ])
    func nextFire(expression: String, after: String, expected: String) throws {
        let cron = try CronExpression(parsing: expression)
        #expect(cron.nextFire(after: utc(after)) == utc(expected))
    }

    @Test("an expression that can never fire has no next fire time")
    func never() throws {
        #expect(try CronExpression(parsing: "0 0 30 2 *").nextFire(after: saturday) == nil)
    }

    @Test("invalid expressions are refused with the field and reason", arguments: [
        ("* * * *", CronError.Code.fieldCount, "expression"),
        ("* * * * * *", .fieldCount, "expression"),
        ("60 * * * *", .outOfRange, "minute"),
        ("* 24 * * *", .outOfRange, "hour"),
        ("* * 0 * *", .outOfRange, "day of month"),
        ("* * * 13 *", .outOfRange, "month"),
        ("* * * * 8", .outOfRange, "day of week"),
        ("*/0 * * * *", .invalidStep, "minute"),
        ("*/x * * * *", .invalidStep, "minute"),
        ("5-1 * * * *", .invalidRange, "minute"),
        ("a * * * *", .invalidValue, "minute"),
        ("1,,2 * * * *", .invalidValue, "minute"),
        ("* * * foo *", .invalidValue, "month"),
        ("@often", .fieldCount, "expression"),
    ])
    func refused(expression: String, code: CronError.Code, field: String) {
        let error = #expect(throws: CronError.self) { try CronExpression(parsing: expression) }
        #expect(error?.code == code)
        #expect(error?.field == field)
    }
}
