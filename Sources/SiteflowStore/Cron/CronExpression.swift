public import Foundation

/// A standard 5-field cron expression — `minute hour day-of-month month day-of-week` — evaluated
/// in UTC, with its next fire time.
///
/// Each field accepts `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n`, and
/// comma-separated lists of these; months and weekdays also accept three-letter names
/// (`jan`, `mon`); day-of-week 7 is Sunday like 0. The macros `@yearly`, `@annually`,
/// `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` are accepted. As in Vixie cron,
/// when both day-of-month and day-of-week are restricted a day matches if either matches.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    private let minutes: UInt64
    private let hours: UInt64
    private let daysOfMonth: UInt64
    private let months: UInt64
    private let daysOfWeek: UInt64
    private let dayOfMonthRestricted: Bool
    private let dayOfWeekRestricted: Bool
    /// The text it was parsed from.
    public let text: String

    /// Parses `text`.
    /// - Throws: ``CronError`` naming the field and what is wrong with it.
    public init(parsing text: String) throws(CronError) {
        let trimmed = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        let expanded: String
        switch trimmed.lowercased() {
        case "@yearly", "@annually": expanded = "0 0 1 1 *"
        case "@monthly": expanded = "0 0 1 * *"
        case "@weekly": expanded = "0 0 * * 0"
        case "@daily", "@midnight": expanded = "0 0 * * *"
        case "@hourly": expanded = "0 * * * *"
        default: expanded = trimmed
        }
        let fields = expanded.split(separator: " ").map(String.init)
        guard fields.count == 5 else { throw CronError(code: .fieldCount, field: "expression", text: text) }
        minutes = try Self.parse(fields[0], field: "minute", range: 0...59, names: [:])
        hours = try Self.parse(fields[1], field: "hour", range: 0...23, names: [:])
        daysOfMonth = try Self.parse(fields[2], field: "day of month", range: 1...31, names: [:])
        months = try Self.parse(fields[3], field: "month", range: 1...12, names: Self.monthNames)
        var weekdays = try Self.parse(fields[4], field: "day of week", range: 0...7, names: Self.dayNames)
        if weekdays & (1 << 7) != 0 { weekdays = (weekdays | 1) & ~(1 << 7) }
        daysOfWeek = weekdays
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        self.text = text
    }

    public var description: String { text }

    private static let monthNames: [String: Int] = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11,
        "dec": 12,
    ]
    private static let dayNames: [String: Int] = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]

    private static func parse(_ text: String, field: String, range: ClosedRange<Int>, names: [String: Int]) throws(CronError) -> UInt64 {
        var bits: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var rangePart = Substring(part)
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                rangePart = part[..<slash]
                guard let parsed = Int(part[part.index(after: slash)...]), parsed > 0, parsed <= range.upperBound + 1 else {
                    throw CronError(code: .invalidStep, field: field, text: text)
                }
                step = parsed
            }
            var low: Int
            var high: Int
            if rangePart == "*" {
                low = range.lowerBound
                high = range.upperBound
            } else if let dash = rangePart.firstIndex(of: "-") {
                low = try value(rangePart[..<dash], field: field, text: text, range: range, names: names)
                high = try value(rangePart[rangePart.index(after: dash)...], field: field, text: text, range: range, names: names)
                guard low <= high else { throw CronError(code: .invalidRange, field: field, text: text) }
            } else {
                low = try value(rangePart, field: field, text: text, range: range, names: names)
                high = part.contains("/") ? range.upperBound : low
            }
            var current = low
            while current <= high {
                bits |= 1 << UInt64(current)
                current += step
            }
        }
        return bits
    }

    private static func value(
        _ text: Substring, field: String, text whole: String, range: ClosedRange<Int>, names: [String: Int]
    ) throws(CronError) -> Int {
        if let number = Int(text) {
            guard range.contains(number) else { throw CronError(code: .outOfRange, field: field, text: whole) }
            return number
        }
        if let named = names[text.lowercased()] { return named }
        throw CronError(code: .invalidValue, field: field, text: whole)
    }

    /// The first time strictly after `date` (to the minute) that the expression fires, or nil if
    /// it never fires within the next eight years (e.g. `0 0 30 2 *`).
    public func nextFire(after date: Date) -> Date? {
        let startMinute = Int64((date.timeIntervalSince1970 / 60).rounded(.down)) + 1
        var day = Self.floorDiv(startMinute, 1440)
        var minuteOfDay = Int(startMinute - day * 1440)
        let lastDay = day + 366 * 8
        while day <= lastDay {
            let (year, month, dayOfMonth) = Self.civil(fromDays: day)
            if months & (1 << UInt64(month)) == 0 {
                // Skip to the first day of the next month.
                let nextMonth = month == 12 ? (year + 1, 1) : (year, month + 1)
                day = Self.days(fromCivil: nextMonth.0, nextMonth.1, 1)
                minuteOfDay = 0
                continue
            }
            let weekday = Int(Self.floorMod(day + 4, 7))  // 1970-01-01 was a Thursday
            let domMatch = daysOfMonth & (1 << UInt64(dayOfMonth)) != 0
            let dowMatch = daysOfWeek & (1 << UInt64(weekday)) != 0
            let dayMatches =
                dayOfMonthRestricted && dayOfWeekRestricted ? (domMatch || dowMatch) : (domMatch && dowMatch)
            if dayMatches {
                var minute = minuteOfDay
                while minute < 1440 {
                    let hour = minute / 60
                    if hours & (1 << UInt64(hour)) == 0 {
                        minute = (hour + 1) * 60
                        continue
                    }
                    if minutes & (1 << UInt64(minute % 60)) != 0 {
                        return Date(timeIntervalSince1970: TimeInterval((day * 1440 + Int64(minute)) * 60))
                    }
                    minute += 1
                }
            }
            day += 1
            minuteOfDay = 0
        }
        return nil
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { (a - floorMod(a, b)) / b }
    private static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { ((a % b) + b) % b }

    /// Howard Hinnant's days-from-civil, for UTC dates.
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
