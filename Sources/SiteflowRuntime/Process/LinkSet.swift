/// The processes linked to one process, in one word. Zero or one link — by far the most common
/// cases (a connection's socket and its channel link each other once) — take no storage beyond
/// that word; a table is allocated only from the second link on (e.g. a supervisor's children).
struct LinkSet {
    /// Two or more links.
    private final class Table {
        var links: [ObjectIdentifier: ProcessCore]
        init(_ links: [ObjectIdentifier: ProcessCore]) { self.links = links }
    }

    /// `nil`: no link; a ``ProcessCore``: the only linked process; a ``Table``: several.
    private var storage: AnyObject?

    /// The number of linked processes.
    var count: Int {
        guard let storage else { return 0 }
        if let table = storage as? Table { return table.links.count }
        return 1
    }

    /// The linked processes, in no particular order.
    var members: [ProcessCore] {
        guard let storage else { return [] }
        if let table = storage as? Table { return Array(table.links.values) }
        if let process = storage as? ProcessCore { return [process] }
        return []
    }

    /// Adds `process` (no effect if it is already linked).
    mutating func insert(_ process: ProcessCore) {
        guard let storage else {
            self.storage = process
            return
        }
        if let table = storage as? Table {
            table.links[ObjectIdentifier(process)] = process
        } else if let existing = storage as? ProcessCore, existing !== process {
            self.storage = Table([ObjectIdentifier(existing): existing, ObjectIdentifier(process): process])
        }
    }

    /// Removes `process` (no effect if it is not linked).
    mutating func remove(_ process: ProcessCore) {
        guard let storage else { return }
        if let table = storage as? Table {
            table.links.removeValue(forKey: ObjectIdentifier(process))
            if table.links.isEmpty { self.storage = nil }
        } else if storage === process {
            self.storage = nil
        }
    }
}
