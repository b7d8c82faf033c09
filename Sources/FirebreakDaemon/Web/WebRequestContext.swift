import Hummingbird
import NIOCore

/// Hummingbird's basic context plus the peer's address: the trusted sign-on header is believed only from the
/// configured proxy's address, never from whoever connects.
public struct WebRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
