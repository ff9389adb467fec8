/// Why a cron expression could not be parsed: the code, the field and the offending text.
public struct CronError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case fieldCount, invalidValue, outOfRange, invalidStep, invalidRange }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// Not exactly five fields (minute hour day-of-month month day-of-week), nor a known `@` macro.
        public static var fieldCount: Code { Code(.fieldCount) }
        /// A value that is not a number or a known name.
        public static var invalidValue: Code { Code(.invalidValue) }
        /// A value outside the field's range (e.g. minute 60).
        public static var outOfRange: Code { Code(.outOfRange) }
        /// A step (`/n`) that is not a positive number.
        public static var invalidStep: Code { Code(.invalidStep) }
        /// A range whose start is after its end.
        public static var invalidRange: Code { Code(.invalidRange) }
        public var description: String { "\(value)" }
    }

    /// What is wrong.
    public let code: Code
    /// The field's name (`minute`, `hour`, `day of month`, `month`, `day of week`), or `expression`.
    public let field: String
    /// The text that was refused.
    public let text: String

    public var description: String { "invalid cron \(field) '\(text)' (\(code))" }
}
