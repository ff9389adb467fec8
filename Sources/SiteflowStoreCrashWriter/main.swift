// A helper for the store's crash test (not a user-facing tool): opens the store named by its
// first argument, writes messages from several concurrent senders through a MessageWriter, and
// prints `ack <id> <idempotency key>` on stdout for each acknowledged message, until killed.
// Usage: SiteflowStoreCrashWriter DATABASE-URL [SENDERS]
import Foundation
import SiteflowRuntime
import SiteflowStore

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: SiteflowStoreCrashWriter DATABASE-URL [SENDERS]\n".utf8))
    exit(64)
}
let senders = arguments.count >= 3 ? Int(arguments[2]) ?? 8 : 8
do {
    let url = try DatabaseURL(parsing: arguments[1])
    try await StoreFactory.withStore(url) { store in
        let runtime = Runtime()
        let writer = try await MessageWriter(store: store, runtime: runtime)
        FileHandle.standardOutput.write(Data("ready\n".utf8))
        await withTaskGroup(of: Void.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var sequence = 0
                    while true {
                        sequence += 1
                        let key = "s\(sender)-\(sequence)"
                        let message = NewMessage(room: "room:crash", nickname: "sender\(sender)", body: "message \(key)", idempotencyKey: key)
                        do {
                            let stored = try await writer.write(message)
                            FileHandle.standardOutput.write(Data("ack \(stored.id) \(key)\n".utf8))
                        } catch {
                            FileHandle.standardError.write(Data("error \(key) \(error)\n".utf8))
                        }
                    }
                }
            }
        }
    }
} catch {
    FileHandle.standardError.write(Data("crash writer failed: \(error)\n".utf8))
    exit(1)
}
