/// A held chat nickname as the store keeps it, so claims outlive a node restart: the nickname's
/// normalized (lower-cased) form and the id of the claim holding it.
public struct NicknameClaimRecord: Sendable, Hashable {
    /// The normalized nickname (the registry's key).
    public let key: String
    /// The random id of the claim holding it (what its tokens sign).
    public let claimID: String

    /// A record of `claimID` holding `key`.
    public init(key: String, claimID: String) {
        self.key = key
        self.claimID = claimID
    }
}
