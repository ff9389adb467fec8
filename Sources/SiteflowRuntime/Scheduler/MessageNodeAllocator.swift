import CSiteflowRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-worker caches of mailbox message nodes, so that the send/receive hot path does not go through
/// `malloc`/`free`: with the producer on one thread and the consumer on another, glibc's thread
/// cache misses most of the time (ADR 0001).
///
/// Nodes are plain `malloc` blocks of two size classes; threads that are not workers use
/// `malloc`/`free` directly, so blocks move freely between the caches and `malloc`.
@usableFromInline
enum MessageNodeAllocator {
    /// The two pooled block sizes (a 32- and a 64-byte glibc chunk).
    static let smallSize = 24
    static let largeSize = 56
    /// Blocks per magazine.
    static let magazineSize = 512

    @usableFromInline
    static func allocate(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if alignment <= 16, bytes <= largeSize, let raw = sf_current_worker() {
            let worker = Unmanaged<Worker>.fromOpaque(raw)
            return worker._withUnsafeGuaranteedRef { w in
                bytes <= smallSize ? w.smallNodes.allocate(size: smallSize) : w.largeNodes.allocate(size: largeSize)
            }
        }
        return rawAllocate(bytes: classSize(bytes), alignment: alignment)
    }

    @usableFromInline
    static func deallocate(_ block: UnsafeMutableRawPointer, bytes: Int, alignment: Int) {
        if alignment <= 16, bytes <= largeSize, let raw = sf_current_worker() {
            let worker = Unmanaged<Worker>.fromOpaque(raw)
            worker._withUnsafeGuaranteedRef { w in
                if bytes <= smallSize {
                    w.smallNodes.deallocate(block)
                } else {
                    w.largeNodes.deallocate(block)
                }
            }
            return
        }
        free(block)
    }

    /// Rounds pooled sizes up to their class so a block from `malloc` can later join a magazine.
    @inline(__always)
    private static func classSize(_ bytes: Int) -> Int {
        bytes <= smallSize ? smallSize : (bytes <= largeSize ? largeSize : bytes)
    }

    @inline(__always)
    static func rawAllocate(bytes: Int, alignment: Int) -> UnsafeMutableRawPointer {
        if alignment <= 16, let block = malloc(Swift.max(bytes, 16)) { return block }
        var block: UnsafeMutableRawPointer?
        if posix_memalign(&block, Swift.max(alignment, MemoryLayout<UnsafeRawPointer>.alignment), bytes) == 0,
            let block
        {
            return block
        }
        fatalError("Siteflow: out of memory allocating a \(bytes)-byte mailbox node")
    }
}

/// A singly linked list of free blocks; the first word of each block is the link.
struct NodeMagazine {
    private var head: UnsafeMutableRawPointer?
    private(set) var count = 0

    @inline(__always)
    mutating func pop() -> UnsafeMutableRawPointer? {
        guard let block = head else { return nil }
        head = block.load(as: UnsafeMutableRawPointer?.self)
        count &-= 1
        return block
    }

    @inline(__always)
    mutating func push(_ block: UnsafeMutableRawPointer) {
        block.storeBytes(of: head, as: UnsafeMutableRawPointer?.self)
        head = block
        count &+= 1
    }

    /// Returns every block to `malloc`.
    mutating func release() {
        while let block = pop() { free(block) }
    }
}

/// Full magazines shared between the workers of one scheduler.
final class NodeDepot: Sendable {
    private struct Stock: @unchecked Sendable {
        // Safe: the magazines' blocks are owned by nobody else while they sit in the depot.
        var magazines: [NodeMagazine] = []
    }
    private let stock = Mutex(Stock())
    private let maxMagazines = 256

    init() {}

    func put(_ magazine: consuming NodeMagazine) {
        var magazine = magazine
        let accepted = stock.withLock { s -> Bool in
            guard s.magazines.count < maxMagazines else { return false }
            s.magazines.append(magazine)
            return true
        }
        if !accepted { magazine.release() }
    }

    func take() -> NodeMagazine? {
        stock.withLock { $0.magazines.popLast() }
    }

    deinit {
        stock.withLock { s in
            for i in s.magazines.indices { s.magazines[i].release() }
        }
    }
}

/// A worker's current and spare magazine for one size class (owner thread only).
struct NodeCache {
    private var current = NodeMagazine()
    private var spare = NodeMagazine()
    /// The scheduler's depot for this size class; unowned so the hot path never touches its
    /// reference count (a shared cache line between workers). The scheduler outlives its workers.
    private unowned(unsafe) let depot: NodeDepot

    init(depot: NodeDepot) { self.depot = depot }

    @inline(__always)
    mutating func allocate(size: Int) -> UnsafeMutableRawPointer {
        if let block = current.pop() { return block }
        if spare.count > 0 {
            swap(&current, &spare)
        } else if let magazine = depot.take() {
            current = magazine
        } else {
            return MessageNodeAllocator.rawAllocate(bytes: size, alignment: 16)
        }
        return current.pop() ?? MessageNodeAllocator.rawAllocate(bytes: size, alignment: 16)
    }

    @inline(__always)
    mutating func deallocate(_ block: UnsafeMutableRawPointer) {
        if current.count >= MessageNodeAllocator.magazineSize {
            if spare.count > 0 { depot.put(spare) }
            spare = current
            current = NodeMagazine()
        }
        current.push(block)
    }

    mutating func release() {
        current.release()
        spare.release()
    }
}
