import NIOCore

/// NIO's adaptive receive-buffer policy (double after a read that filled the buffer, halve
/// after two reads that used at most half of it) in 8 bytes, between 64 bytes and 64 KiB.
///
/// NIO stores a channel's receive allocator as an existential; its own
/// `AdaptiveRecvByteBufferAllocator` is too large for the existential's inline buffer and costs
/// every connection a 56-byte box, this one fits inline.
struct CompactAdaptiveRecvAllocator: RecvByteBufferAllocator {
    /// The smallest buffer.
    static let minimum: UInt32 = 64
    /// The largest buffer.
    static let maximum: UInt32 = 65_536

    private var next: UInt32
    private var decreaseNow = false

    /// Starts at `initial` bytes, rounded to a power of two and clamped to 64 B...64 KiB.
    init(initial: Int) {
        let clamped = UInt32(clamping: min(max(initial, Int(Self.minimum)), Int(Self.maximum)))
        var size = Self.minimum
        while size < clamped { size <<= 1 }
        next = size
    }

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(capacity: Int(next))
    }

    func nextBufferSize() -> Int? {
        Int(next)
    }

    mutating func record(actualReadBytes: Int) -> Bool {
        let half = next >> 1
        if actualReadBytes <= Int(half), half >= Self.minimum {
            if decreaseNow {
                next = half
                decreaseNow = false
            } else {
                decreaseNow = true
            }
            return false
        }
        decreaseNow = false
        if actualReadBytes >= Int(next), next < Self.maximum {
            next <<= 1
            return true
        }
        return false
    }
}
