import SiteflowRuntime

/// What every socket of one endpoint shares — its settings, clock, channel routes and PubSub —
/// held once per endpoint and referenced by each socket process, so an idle connection does not
/// carry its own copy of them.
final class SocketEnvironment: Sendable {
    let router: ChannelRouter
    let pubsub: PubSub
    let configuration: SocketConfiguration
    let clock: any RuntimeClock

    init(router: ChannelRouter, pubsub: PubSub, configuration: SocketConfiguration, clock: any RuntimeClock) {
        self.router = router
        self.pubsub = pubsub
        self.configuration = configuration
        self.clock = clock
    }
}
