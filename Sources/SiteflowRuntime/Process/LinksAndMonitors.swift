import Synchronization

extension ProcessCore {
    /// Links this process and `other` both ways. If `other` has already ended, this process
    /// receives an exit signal with reason ``ExitReason/noproc`` instead (Erlang's rule).
    final func link(to other: ProcessCore) {
        if other === self { return }
        let mine = extras
        let theirs = other.extras
        // Lock in a global order (by serial) so two processes linking each other cannot deadlock.
        let (first, second) = serial < other.serial ? (mine, theirs) : (theirs, mine)
        let selfFirst = first === mine
        let established = first.state.withLock { a in
            second.state.withLock { b -> Bool in
                let selfExited = selfFirst ? a.exited : b.exited
                let otherExited = selfFirst ? b.exited : a.exited
                if selfExited { return true }  // we are ending: nothing to do
                if otherExited || !other.isAlive { return false }
                if selfFirst {
                    a.links.insert(other)
                    b.links.insert(self)
                } else {
                    a.links.insert(self)
                    b.links.insert(other)
                }
                return true
            }
        }
        if !established {
            pushSignal(.exit(from: ProcessID(other), reason: .noproc))
        }
    }

    /// Removes the link between this process and `other`, if any. No signal is sent.
    final func unlink(from other: ProcessCore) {
        existingExtras?.state.withLock { $0.links.remove(other) }
        other.existingExtras?.state.withLock { $0.links.remove(self) }
    }

    /// Starts monitoring `target`: when it ends, this process gets exactly one
    /// ``Signal/down(_:process:reason:)``; if it has already ended, the `down` comes at once with
    /// ``ExitReason/noproc``.
    final func monitor(_ target: ProcessCore) -> MonitorReference {
        let reference = runtime.makeMonitorReference()
        extras.state.withLock { $0.monitoring[reference] = target }
        let added = target.extras.state.withLock { state -> Bool in
            if state.exited || !target.isAlive { return false }
            state.watchers[reference] = self
            return true
        }
        if !added {
            pushSignal(.down(reference, process: ProcessID(target), reason: .noproc))
        }
        return reference
    }

    /// Stops a monitor. Guarantees that no `down` for it is handled afterwards, even one already
    /// on its way. Returns whether the monitor was active.
    @discardableResult
    final func demonitor(_ reference: MonitorReference) -> Bool {
        guard let target = existingExtras?.state.withLock({ $0.monitoring.removeValue(forKey: reference) }) else {
            return false
        }
        target.existingExtras?.state.withLock { _ = $0.watchers.removeValue(forKey: reference) }
        return true
    }

    /// Owner: whether a `down` for `reference` should be handled (its monitor is still active).
    final func acceptDown(_ reference: MonitorReference) -> Bool {
        existingExtras?.state.withLock { $0.monitoring.removeValue(forKey: reference) } != nil
    }

    /// Sends an exit signal with `reason` to this process, as if from `sender`.
    final func sendExit(from sender: ProcessID, reason: ExitReason) {
        pushSignal(.exit(from: sender, reason: reason))
    }

    /// Adds a closure called once when the process ends (after links and monitors fired). If the
    /// process has already ended, the closure runs at once with the recorded reason.
    final func addExitHook(_ hook: @escaping @Sendable (ProcessID, ExitReason) -> Void) {
        let alreadyEnded: ExitReason? = extras.state.withLock { state in
            if state.exited && state.exitHooksDone { return state.exitReason ?? .noproc }
            state.exitHooks.append(hook)  // before the exit, or while its hooks are running
            return nil
        }
        if let alreadyEnded { hook(ProcessID(self), alreadyEnded) }
    }

    /// The reason the process ended with, if it has ended and anyone asked to keep it (links,
    /// monitors, names or hooks existed).
    final var recordedExitReason: ExitReason? {
        existingExtras?.state.withLock { $0.exitReason }
    }
}
