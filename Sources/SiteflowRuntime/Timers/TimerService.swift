import Synchronization

/// Runs timer actions at their deadlines: one ``TimingWheel`` behind a `Mutex`, driven by one
/// dedicated OS thread that sleeps until the next deadline (or by explicit ``fireDue(now:)`` calls).
///
/// Actions run on the timer thread (or the ``fireDue(now:)`` caller), never while the lock is held,
/// so they may schedule or cancel timers. Keep them short: a slow action delays the timers after it.
///
/// Interval timers (``scheduleRepeating(every:_:)``) are fixed-rate: each deadline is the previous
/// deadline plus the interval. If the service falls behind by several intervals, the missed ones
/// are skipped — the action fires once and the next deadline is the first multiple still in the
/// future — rather than firing in a burst.
///
/// - Note: With `runsOwnThread: false` nothing fires by itself; tests inject a ``ManualTimerClock``
///   and call ``fireDue()`` after advancing it, so no test ever sleeps.
public final class TimerService: Sendable {
    private let core: Core
    private let thread: JoinableThread?

    /// The time source used to turn delays into deadlines.
    public var clock: any TimerClock { core.clock }

    /// Creates a service and, unless `runsOwnThread` is false, starts its timer thread.
    ///
    /// - Parameters:
    ///   - clock: Monotonic time source (default: ``MonotonicTimerClock``).
    ///   - tick: Wheel resolution (default 1 ms); timers are bucketed per tick but fire by exact deadline.
    ///   - slotsPerLevel: Wheel slots per level, a power of two in `2...64` (default 64).
    ///   - runsOwnThread: Whether to start a thread that fires timers; `false` for manual driving.
    ///   - threadName: OS thread name (at most 15 bytes are kept).
    public init(
        clock: any TimerClock = MonotonicTimerClock(),
        tick: Duration = .milliseconds(1),
        slotsPerLevel: Int = 64,
        runsOwnThread: Bool = true,
        threadName: String = "siteflow-timers"
    ) {
        let wheel = TimingWheel<Entry>(
            tickNanoseconds: max(1, tick.timerNanoseconds),
            slotsPerLevel: slotsPerLevel,
            startTime: clock.now()
        )
        let core = Core(clock: clock, wheel: wheel, runsOwnThread: runsOwnThread)
        self.core = core
        if runsOwnThread {
            core.threadRunning.store(true, ordering: .releasing)
            thread = JoinableThread(name: threadName) { core.runLoop() }
        } else {
            thread = nil
        }
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
        let deadline = Self.adding(delay.timerNanoseconds, to: core.clock.now())
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
        let nanos = max(1, interval.timerNanoseconds)
        let deadline = Self.adding(nanos, to: core.clock.now())
        return insert(Entry(action: action, interval: nanos), at: deadline)
    }

    /// Cancels a timer; returns `true` if it was pending (for an interval timer: future firings stop).
    ///
    /// An action already handed to the firing thread may still run once after this returns.
    @discardableResult
    public func cancel(_ handle: TimerHandle) -> Bool {
        let removed = core.state.withLock { state in
            state.wheel.cancel(handle.id)
        }
        return removed != nil  // the action is released here, outside the lock
    }

    /// The number of pending timers (an interval timer counts once).
    public var pendingCount: Int {
        core.state.withLock { $0.wheel.count }
    }

    /// A lower bound on the earliest pending deadline (see ``TimingWheel/nextDeadline``), or `nil`.
    public var nextDeadline: UInt64? {
        core.state.withLock { $0.wheel.nextDeadline }
    }

    /// Whether the service's own thread is alive (false after ``shutdown()`` or without a thread).
    public var isRunning: Bool {
        core.threadRunning.load(ordering: .acquiring)
    }

    // MARK: - Driving and stopping

    /// Fires, on the calling thread, every timer due at `now`; returns how many actions ran.
    @discardableResult
    public func fireDue(now: UInt64) -> Int {
        var due: [@Sendable () -> Void] = []
        core.state.withLock { state in
            Core.collectDue(in: &state.wheel, now: now, into: &due)
        }
        for action in due {
            action()
        }
        return due.count
    }

    /// Fires, on the calling thread, every timer due at ``clock``'s current time; returns the count.
    @discardableResult
    public func fireDue() -> Int {
        fireDue(now: core.clock.now())
    }

    /// Stops the timer thread and waits for it to exit; pending timers are discarded. Idempotent.
    ///
    /// Later schedules are ignored (their handles cancel nothing). Called from inside an action,
    /// it stops the thread without waiting for itself.
    public func shutdown() {
        let discarded = core.state.withLock { state -> TimingWheel<Entry>? in
            guard !state.stopped else { return nil }
            state.stopped = true
            var empty = TimingWheel<Entry>(
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

    // MARK: - Internals

    private func insert(_ entry: Entry, at deadline: UInt64) -> TimerHandle {
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
        return TimerHandle(id: id)
    }

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
        let clock: any TimerClock
        let threadRunning = Atomic<Bool>(false)

        init(clock: any TimerClock, wheel: TimingWheel<Entry>, runsOwnThread: Bool) {
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
