import Foundation
import Testing

@testable import SiteflowRuntime

@Suite("What the OS tells of this process")
struct OwnProcessTests {
    @Test("a status field is found by name, without its blanks; an absent one is nil")
    func statusField() {
        let status = "Name:\tsiteflow\nVmRSS:\t   1234 kB\nCpus_allowed_list:\t0-3,6\n"
        #expect(OwnProcess.statusField("VmRSS", in: status) == "1234 kB")
        #expect(OwnProcess.statusField("Cpus_allowed_list", in: status) == "0-3,6")
        #expect(OwnProcess.statusField("Vm", in: status) == nil)
        #expect(OwnProcess.statusField("VmRSS", in: nil) == nil)
    }

    #if os(Linux)
    @Test("on Linux: the resident size counts a large touched allocation, and the executable path names a real file")
    func linuxReadings() throws {
        #expect(OwnProcess.residentBytes() > 0)
        // Other suites allocate and free meanwhile: only what this test holds is certain.
        let size = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { block.deallocate() }
        block.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        #expect(OwnProcess.residentBytes() >= size)
        #expect(OwnProcess.heapBytes() >= size)
        let executable = try #require(OwnProcess.executablePath())
        #expect(FileManager.default.isExecutableFile(atPath: executable))
    }
    #endif
}
