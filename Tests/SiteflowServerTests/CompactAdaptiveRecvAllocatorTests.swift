import NIOCore
import Testing
@testable import SiteflowServer

@Suite("Receive allocator of upgraded WebSockets: small while idle, growing for busy sockets")
struct CompactAdaptiveRecvAllocatorTests {
    @Test("fits NIO's inline existential buffer, so a connection pays no box for it")
    func fitsInline() {
        #expect(MemoryLayout<CompactAdaptiveRecvAllocator>.size <= 3 * MemoryLayout<Int>.size)
    }

    @Test("starts at the configured size rounded up to a power of two, clamped to 64 B...64 KiB")
    func initialSize() {
        #expect(CompactAdaptiveRecvAllocator(initial: 64).nextBufferSize() == 64)
        #expect(CompactAdaptiveRecvAllocator(initial: 100).nextBufferSize() == 128)
        #expect(CompactAdaptiveRecvAllocator(initial: 1).nextBufferSize() == 64)
        #expect(CompactAdaptiveRecvAllocator(initial: 1 << 20).nextBufferSize() == 65_536)
        #expect(CompactAdaptiveRecvAllocator(initial: 64).buffer(allocator: ByteBufferAllocator()).capacity >= 64)
    }

    @Test("a read that fills the buffer doubles it, up to 64 KiB, and says it may grow")
    func grows() {
        var allocator = CompactAdaptiveRecvAllocator(initial: 64)
        #expect(record(&allocator, 64))
        #expect(allocator.nextBufferSize() == 128)
        var size = 128
        while size < 65_536 {
            #expect(record(&allocator, size))
            size *= 2
        }
        #expect(allocator.nextBufferSize() == 65_536)
        #expect(!record(&allocator, 65_536))
        #expect(allocator.nextBufferSize() == 65_536)
    }

    @Test("two reads in a row using at most half shrink it by half, never below 64 B; one does not")
    func shrinks() {
        var allocator = CompactAdaptiveRecvAllocator(initial: 1024)
        #expect(!record(&allocator, 100))
        #expect(allocator.nextBufferSize() == 1024)
        #expect(!record(&allocator, 100))
        #expect(allocator.nextBufferSize() == 512)
        // A read between half and full resets the count.
        #expect(!record(&allocator, 100))
        #expect(!record(&allocator, 300))
        #expect(!record(&allocator, 100))
        #expect(allocator.nextBufferSize() == 512)
        for _ in 0..<20 { _ = allocator.record(actualReadBytes: 1) }
        #expect(allocator.nextBufferSize() == 64)
    }

    /// Records a read (`#expect` cannot call a mutating method itself).
    private func record(_ allocator: inout CompactAdaptiveRecvAllocator, _ bytes: Int) -> Bool {
        allocator.record(actualReadBytes: bytes)
    }
}
