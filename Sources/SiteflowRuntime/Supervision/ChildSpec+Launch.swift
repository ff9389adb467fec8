extension ChildSpec {
    /// Runs the child's start function for the supervisor whose handler `context` is, and links
    /// the child (a child that already ended then yields an exit signal with `noproc`, handled as
    /// that child's exit). Shared by ``Supervisor`` and ``DynamicSupervisor``.
    func launch<Message: Sendable>(under context: ProcessContext<Message>) async throws(SupervisorError) -> ProcessID {
        let start = ChildStartContext(runtime: context.runtime, supervisor: context.id, childID: id)
        let process: ProcessID
        do {
            process = try await self.start(start)
        } catch {
            throw SupervisorError(.childStartFailed, child: id, underlying: error)
        }
        context.link(process)
        return process
    }
}
