import CSiteflowRuntime
import Synchronization

/// Runs timer actions at their deadlines: timing wheels behind `Mutex`es, each driven by a
/// dedicated OS thread that sleeps until its next deadline (or by explicit ``fireDue(now:)`` calls).
///
/// The wheels are sharded: a scheduler worker schedules on its own shard, so callers on different
/// cores (every GenServer call arms a timeout) do not contend for one lock. Threads that are not
/// workers share shard 0; workers spread over the others. A handle remembers its shard, so a timer can be cancelled from any thread.
///
/// Actions run on the timer thread (or the ``fireDue(now:)`` caller), never while the lock is held,
/// so they may schedule or cancel timers. Keep them short: a slow action delays the timers after it.
///
/// Interval timers (``scheduleRepeating(every:_:)``) are fixed-rate: each deadline is the previous
/// deadline plus the interval. If the service falls behind by several intervals, the missed ones
/// are skipped — the action fires once and the next deadline is the first multiple still in the
/// future — rather than firing in a burst.
///
/// - Note: With `runsOwnThread: false` nothing fires by itself; tests inject SiteflowRuntimeTesting's
///   `ManualClock` and call ``fireDue()`` after advancing it, so no test ever sleeps.
public final class TimerService: Sendable {
    private let shards: [Shard]
    private let clockSource: any RuntimeClock

    /// The time source used to turn delays into deadlines.
    public var clock: any RuntimeClock { clockSource }

    /// One wheel, its lock and its thread.
    fileprivate struct Shard: Sendable {
        let core: Core
        let thread: JoinableThread?
    }

    /// Creates a service and, unless `runsOwnThread` is false, starts its timer thread.
    ///
    /// - Parameters:
    ///   - clock: Monotonic time source (default: ``SystemClock``).
    ///   - tick: Wheel resolution (default 1 ms); timers are bucketed per tick but fire by exact deadline.
    ///   - slotsPerLevel: Wheel slots per level, a power of two in `2...64` (default 64).
    ///   - runsOwnThread: Whether to start a thread that fires timers; `false` for manual driving.
    ///   - threadName: OS thread name (at most 15 bytes are kept).
    ///   - shards: How many wheels (each with its lock and thread): shard 0 for threads that are
    ///     not scheduler workers, the rest for workers (the runtime uses one per worker). At least 1.
    public init(
        clock: any RuntimeClock = SystemClock(),
        tick: Duration = .milliseconds(1),
        slotsPerLevel: Int = 64,
        runsOwnThread: Bool = true,
        threadName: String = "siteflow-timers",
        shards: Int = 1
    ) {
        clockSource = clock
        let start = clock.now()
        self.shards = (0..<max(1, shards)).map { index in
            let wheel = TimingWheel<Entry>(
                tickNanoseconds: max(1, tick.clampedNanoseconds),
                slotsPerLevel: slotsPerLevel,
                startTime: start
            )
            let core = Core(clock: clock, wheel: wheel, runsOwnThread: runsOwnThread)
            guard runsOwnThread else { return Shard(core: core, thread: nil) }
            core.threadRunning.store(true, ordering: .releasing)
            let name = index == 0 ? threadName : String("\(threadName.prefix(12))-\(index)")
            return Shard(core: core, thread: JoinableThread(name: name) { core.runLoop() })
        }
    }

    /// The shard the calling thread schedules on.
    @inline(__always)
    private var currentShard: Int {
        let hint = Int(sf_shard_hint())
        return hint == 0 || shards.count == 1 ? 0 : 1 + (hint - 1) % (shards.count - 1)
    }

    deinit {
        shutdown()
    }

    // MARK: - Scheduling

    /// Runs `action` once, `delay` from now (a non-positive delay fires at the next opportunity).
    @discardableResult
    public func schedule(
        after delay: Duration,
        _ action: @escaping @Sendable () -> Void
    ) -> TimerHandle {
        let deadline = Self.adding(delay.clampedNanoseconds, to: clockSource.now())
        return insert(Entry(action: action, interval: 0), at: deadline)
    }

    /// Runs `action` once, when the clock reaches `deadlineNanos` (monotonic ns, as ``clock`` reads).
    @discardableResult
    public func schedule(
        at deadlineNanos: UInt64,
        _ action: @escaping @Sendable () -> Void
    ) -> TimerHandle {
        insert(Entry(action: action, interval: 0), at: deadlineNanos)
    }

    /// Runs `action` every `interval` (first firing one interval from now) until cancelled.
    ///
    /// Fixed-rate: deadlines are `start + k * interval`; missed intervals are skipped, not replayed.
    /// Intervals shorter than 1 ns are treated as 1 ns.
    @discardableResult
    public func scheduleRepeating(
        every interval: Duration,
        _ action: @escaping @Sendable () -> Void
    ) -> TimerHandle {
        let nanos = max(1, interval.clampedNanoseconds)
        let deadline = Self.adding(nanos, to: clockSource.now())
        return insert(Entry(action: action, interval: nanos), at: deadline)
    }

    /// Cancels a timer; returns `true` if it was pending (for an interval timer: future firings stop).
    ///
    /// An action already handed to the firing thread may still run once after this returns.
    @discardableResult
    public func cancel(_ handle: TimerHandle) -> Bool {
        guard Int(handle.shard) < shards.count else { return false }
        let removed = shards[Int(handle.shard)].core.state.withLock { state in
            state.wheel.cancel(handle.id)
        }
        return removed != nil  // the action is released here, outside the lock
    }

    /// The number of pending timers (an interval timer counts once).
    public var pendingCount: Int {
        shards.reduce(0) { sum, shard in sum + shard.core.state.withLock { $0.wheel.count } }
    }

    /// A lower bound on the earliest pending deadline (monotonic ns, as ``clock`` reads), or `nil`.
    public var nextDeadline: UInt64? {
        shards.compactMap { shard in shard.core.state.withLock { $0.wheel.nextDeadline } }.min()
    }

    /// Whether the service's own thread is alive (false after ``shutdown()`` or without a thread).
    public var isRunning: Bool {
        shards.allSatisfy { $0.core.threadRunning.load(ordering: .acquiring) }
    }

    // MARK: - Driving and stopping

    /// Fires, on the calling thread, every timer due at `now`; returns how many actions ran.
    @discardableResult
    public func fireDue(now: UInt64) -> Int {
        var due: [@Sendable () -> Void] = []
        for shard in shards {
            shard.core.state.withLock { state in
                Core.collectDue(in: &state.wheel, now: now, into: &due)
            }
        }
        for action in due {
            action()
        }
        return due.count
    }

    /// Fires, on the calling thread, every timer due at ``clock``'s current time; returns the count.
    @discardableResult
    public func fireDue() -> Int {
        fireDue(now: clockSource.now())
    }

    /// Stops the timer thread and waits for it to exit; pending timers are discarded. Idempotent.
    ///
    /// Later schedules are ignored (their handles cancel nothing). Called from inside an action,
    /// it stops the thread without waiting for itself.
    public func shutdown() {
        for shard in shards { shard.shutdown() }
    }

    // MARK: - Internals

    private func insert(_ entry: Entry, at deadline: UInt64) -> TimerHandle {
        let index = currentShard
        let core = shards[index].core
        let (id, wake) = core.state.withLock { state -> (TimerID, Bool) in
            guard !state.stopped else { return (.inert, false) }
            let id = state.wheel.schedule(entry, at: deadline)
            guard deadline < state.threadWakeAt else { return (id, false) }
            state.threadWakeAt = deadline
            return (id, true)
        }
        if wake {
            core.parker.unpark()
        }
        return TimerHandle(id: id, shard: UInt32(truncatingIfNeeded: index))
    }
}

extension TimerService.Shard {
    /// Stops this shard's thread and discards its pending timers (see ``TimerService/shutdown()``).
    func shutdown() {
        let discarded = core.state.withLock { state -> TimingWheel<TimerService.Entry>? in
            guard !state.stopped else { return nil }
            state.stopped = true
            var empty = TimingWheel<TimerService.Entry>(
                tickNanoseconds: state.wheel.tickNanoseconds,
                slotsPerLevel: state.wheel.slotsPerLevel
            )
            swap(&empty, &state.wheel)
            return empty
        }
        _ = discarded  // pending actions are released here, outside the lock
        core.parker.unpark()
        thread?.join()
    }
}

extension TimerService {
    private static func adding(_ nanos: UInt64, to now: UInt64) -> UInt64 {
        let (sum, overflow) = now.addingReportingOverflow(nanos)
        return overflow ? .max : sum
    }

    /// A pending timer's payload: what to run, and its interval (0 for one-shot timers).
    struct Entry: Sendable {
        let action: @Sendable () -> Void
        let interval: UInt64
    }

    /// Everything the timer thread touches; the thread retains this, not the service, so dropping
    /// the last service reference still shuts the thread down.
    final class Core: Sendable {
        struct State: Sendable {
            var wheel: TimingWheel<Entry>
            var stopped = false
            /// When the thread will next wake by itself; an earlier schedule must unpark it.
            /// 0 means "awake, will re-check" (and, without a thread, "never wake").
            var threadWakeAt: UInt64
        }

        let state: Mutex<State>
        let parker = ThreadParker()
        let clock: any RuntimeClock
        let threadRunning = Atomic<Bool>(false)

        init(clock: any RuntimeClock, wheel: TimingWheel<Entry>, runsOwnThread: Bool) {
            self.clock = clock
            self.state = Mutex(State(wheel: wheel, threadWakeAt: runsOwnThread ? .max : 0))
        }

        /// Advances `wheel` to `now`, appending due actions and re-arming interval timers.
        static func collectDue(
            in wheel: inout TimingWheel<Entry>,
            now: UInt64,
            into due: inout [@Sendable () -> Void]
        ) {
            wheel.advance(to: now) { (_: TimerID, entry: Entry, deadline: UInt64) -> UInt64? in
                due.append(entry.action)
                guard entry.interval > 0 else { return nil }
                return nextFixedRateDeadline(after: deadline, interval: entry.interval, now: now)
            }
        }

        /// The first `deadline + k * interval` (k >= 1) that is later than `now`, saturating.
        static func nextFixedRateDeadline(after deadline: UInt64, interval: UInt64, now: UInt64) -> UInt64 {
            let (next, overflow) = deadline.addingReportingOverflow(interval)
            if overflow { return .max }
            if next > now { return next }
            let skipped = (now - next) / interval + 1
            let (offset, overflow2) = skipped.multipliedReportingOverflow(by: interval)
            if overflow2 { return .max }
            let (result, overflow3) = next.addingReportingOverflow(offset)
            return overflow3 ? .max : result
        }

        /// The timer thread: fire what is due, then sleep until the next deadline or an unpark.
        func runLoop() {
            var due: [@Sendable () -> Void] = []
            defer { threadRunning.store(false, ordering: .releasing) }
            while true {
                let now = clock.now()
                let wakeAt: UInt64? = state.withLock { state in
                    guard !state.stopped else { return nil }
                    Self.collectDue(in: &state.wheel, now: now, into: &due)
                    let next: UInt64 = due.isEmpty ? (state.wheel.nextDeadline ?? .max) : 0
                    state.threadWakeAt = next
                    return next
                }
                guard let wakeAt else { return }
                if !due.isEmpty {
                    for action in due {
                        action()
                    }
                    due.removeAll(keepingCapacity: true)
                    continue
                }
                if wakeAt == .max {
                    parker.park(timeoutNanoseconds: nil)
                } else {
                    let current = clock.now()
                    if wakeAt > current {
                        parker.park(timeoutNanoseconds: wakeAt - current)
                    }
                }
            }
        }
    }
}
