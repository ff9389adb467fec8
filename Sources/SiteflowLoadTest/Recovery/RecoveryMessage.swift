/// The keyed chat message a recovery-mode client pushes: `{"body", "key"}` with the idempotency
/// key in the body too, so that a message stored twice is visible in the room's history.
///
/// The key is time-ordered per client — `<run>-<client>-<sequence, 9 digits>` — so that the
/// store's key index sees locality, and the run id keeps runs against one database apart.
/// The body starts `lt <client> <sequence> <created-at-ns>` (a ``PushStamp``) and ends with the key.
public enum RecoveryMessage {
    /// The idempotency key of client `client`'s message number `sequence` in run `run`.
    public static func key(run: String, client: Int, sequence: Int) -> String {
        let digits = String(sequence)
        return "\(run)-\(client)-" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    /// The body carrying `key`.
    public static func body(client: Int, sequence: Int, createdAt: UInt64, key: String) -> String {
        "lt \(client) \(sequence) \(createdAt) \(key)"
    }

    /// The key in a stored message's body, if it is a message of run `run`.
    public static func key(inBody body: String, run: String) -> String? {
        guard body.hasPrefix("lt "), let last = body.split(separator: " ").last, last.hasPrefix(run + "-") else { return nil }
        return String(last)
    }
}
