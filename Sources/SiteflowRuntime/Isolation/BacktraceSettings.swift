/// Settings of the Swift runtime's backtracer (`SWIFT_BACKTRACE`) for processes that Siteflow
/// starts and watches: the node under its supervisor, and isolated workers.
public enum BacktraceSettings {
    /// No symbols (whoever reads the backtrace symbolicates it afterwards, so the dying process
    /// exits in about 0.1 s instead of seconds), the crashing thread only, and the images its
    /// frames mention so that addresses can be resolved.
    public static let quick =
        "enable=yes,interactive=no,symbolicate=off,threads=crashed,registers=none,images=mentioned,color=no"
}
