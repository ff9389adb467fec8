#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The text of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }

/// Starts a detached OS thread running `body`; false if the OS refused.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    final class Start {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Start(body)).toOpaque()
    var handle = pthread_t()
    let result = pthread_create(&handle, nil, { raw in
        guard let raw else { return nil }
        Unmanaged<Start>.fromOpaque(raw).takeRetainedValue().body()
        return nil
    }, context)
    guard result == 0 else {
        Unmanaged<Start>.fromOpaque(context).release()
        return false
    }
    pthread_detach(handle)
    return true
}
