#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSiteflowSpawn

/// Starts a child OS process the way Siteflow's watchers do (the node supervisor for its nodes,
/// the runtime for isolated workers), with `posix_spawn`: chosen descriptors mapped into the
/// child, every other descriptor above them closed, its own process group, the default
/// disposition and an empty mask for the signals a parent may handle (SIGTERM, SIGINT, SIGHUP,
/// SIGPIPE, SIGCHLD).
package enum ChildProcessLaunch {
    /// One descriptor of the parent that the child gets as `target`.
    package struct Mapping: Sendable {
        package var source: CInt
        package var target: CInt
        package init(source: CInt, target: CInt) {
            self.source = source
            self.target = target
        }
    }

    /// Why a child could not start, as a sentence.
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        init(_ description: String) { self.description = description }
    }

    /// Starts `executable` with `arguments` (without the program name) and `environment`
    /// ("NAME=value" entries), with `programName` as its `argv[0]` (default: `executable`).
    /// Descriptors 0…2 that no mapping names are inherited, except that
    /// `nullInput` gives the child /dev/null as its standard input. Returns the child's pid, or
    /// a sentence saying why it could not start.
    package static func spawn(
        executable: String, arguments: [String], environment: [String], mappings: [Mapping], nullInput: Bool = false,
        programName: String? = nil
    ) -> Result<Int32, Failure> {
        // Sources moved above every target first, so that no dup2 overwrites a source still to be used.
        let highest = mappings.map(\.target).max() ?? 2
        var copies: [CInt] = []
        defer { for copy in copies { close(copy) } }
        for mapping in mappings {
            let copy = fcntl(mapping.source, F_DUPFD_CLOEXEC, Swift.max(10, highest + 1))
            guard copy >= 0 else { return .failure(Failure("cannot duplicate a descriptor: \(String(cString: strerror(errno)))")) }
            copies.append(copy)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if nullInput { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        for (mapping, copy) in zip(mappings, copies) { posix_spawn_file_actions_adddup2(&actions, copy, mapping.target) }
        sf_spawn_file_actions_add_close_from(&actions, Swift.max(3, highest + 1))

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv: [UnsafeMutablePointer<CChar>?] = ([programName ?? executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = argv.withUnsafeBufferPointer { arguments in
            envp.withUnsafeBufferPointer { environment -> Int32 in
                guard let argumentList = arguments.baseAddress, let environmentList = environment.baseAddress else { return EINVAL }
                return posix_spawn(&pid, executable, &actions, &attributes, argumentList, environmentList)
            }
        }
        guard spawned == 0 else { return .failure(Failure("cannot start \(executable): \(String(cString: strerror(spawned)))")) }
        return .success(pid)
    }

    /// The file this process runs (`/proc/self/exe` resolved), or nil.
    package static var currentExecutablePath: String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// This process's environment as "NAME=value" entries.
    package static var currentEnvironment: [String] {
        var entries: [String] = []
        guard var entry = sf_environment() else { return entries }
        while let pointer = entry.pointee {
            entries.append(String(cString: pointer))
            entry += 1
        }
        return entries
    }
}
