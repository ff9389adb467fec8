import SiteflowRuntime

/// The process that writes a ``NicknameClaims`` registry's changes to the store: woken by the
/// first change queued after it went idle, it writes until the queue is empty, one write at a
/// time, in order. ``Call/flush`` and ``Call/close`` are answered once the queue is written;
/// after `close` it stops.
struct NicknameClaimWriter: AsyncGenServer {
    enum Call: Sendable {
        /// Write what is queued and answer.
        case flush
        /// Write what is queued, answer, and stop.
        case close
    }

    enum Info: Sendable {
        /// The queue has changes.
        case write
    }

    static var kind: String { "nickname_claim_writer" }

    let claims: NicknameClaims

    mutating func handleCall(_ request: Call, from caller: Caller<Void>, context: ServerContext<NicknameClaimWriter>) async throws -> CallResult<Void> {
        await claims.writeJournal()
        switch request {
        case .flush: return .reply(())
        case .close: return .stop(.normal, reply: ())
        }
    }

    mutating func handleInfo(_ message: Info, context: ServerContext<NicknameClaimWriter>) async throws {
        await claims.writeJournal()
    }
}
