import Foundation
import Hummingbird
import ServiceLifecycle

/// What the test server answers on one path. Paths without a reply get Hummingbird's 404.
public enum LoopbackReply: Sendable {
    /// 200 with the bytes and their Content-Length.
    case file(Data)
    /// 200 announcing all of the bytes' Content-Length, but only the first `sent` bytes are sent before the
    /// connection is closed: a short transfer.
    case truncated(Data, sent: Int)
    /// 200 announcing the bytes' Content-Length; the first `sent` bytes are sent, then nothing more for
    /// `seconds` (a stalled server, for timeouts).
    case stalled(Data, sent: Int, seconds: Double)
    /// An empty reply with this status code.
    case status(Int)
}

/// A Hummingbird HTTP/1.1 server bound to 127.0.0.1 on a port the system picks, for one test. No test
/// touches any other address. (Hummingbird needs macOS 14; on older systems `run` throws.)
public struct LoopbackServer: Sendable {
    /// `http://127.0.0.1:<port>/`.
    public let baseURL: URL
    private let log: RequestLog

    /// The URL of `path` on this server.
    public func url(_ path: String) -> URL {
        URL(string: path, relativeTo: baseURL)!.absoluteURL
    }

    /// The paths requested so far, in order.
    public func requestedPaths() async -> [String] {
        await log.paths
    }

    /// Starts a server that answers `replies` (path → reply), runs `body` with it, then stops it.
    public static func run<T: Sendable>(
        _ replies: [String: LoopbackReply], _ body: @Sendable (LoopbackServer) async throws -> T
    ) async throws -> T {
        guard #available(macOS 14, *) else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "Hummingbird needs macOS 14"])
        }
        // The server, its handlers and `body` run on threads of their own rather than Swift's cooperative
        // pool, which has one thread per core: on a 2-core machine two tests that block in a child process
        // would otherwise starve the server and the download under test would time out.
        return try await withTaskExecutorPreference(OwnThreadsExecutor.shared) { try await serve(replies, body) }
    }

    @available(macOS 14, *)
    private static func serve<T: Sendable>(
        _ replies: [String: LoopbackReply], _ body: @Sendable (LoopbackServer) async throws -> T
    ) async throws -> T {
        let log = RequestLog()
        let router = Router()
        router.middlewares.add(LoggingMiddleware(log: log))
        for (path, reply) in replies {
            router.get(RouterPath(path)) { _, _ -> Response in
                try await Self.respond(reply)
            }
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "LoopbackServer"),
            onServerRunning: { channel in
                if let port = channel.localAddress?.port { portContinuation.yield(port) }
                portContinuation.finish()
            })
        let services = ServiceGroup(configuration: .init(services: [app], logger: app.logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                await services.triggerGracefulShutdown()
                throw CocoaError(
                    .fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the loopback server did not start"])
            }
            let server = LoopbackServer(baseURL: URL(string: "http://127.0.0.1:\(port)/")!, log: log)
            do {
                let result = try await body(server)
                await services.triggerGracefulShutdown()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                throw error
            }
        }
    }

    @available(macOS 14, *)
    private static func respond(_ reply: LoopbackReply) async throws -> Response {
        switch reply {
        case .file(let data):
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case .truncated(let data, let sent):
            return Response(
                status: .ok,
                body: ResponseBody(contentLength: data.count) { writer in
                    try await writer.write(ByteBuffer(bytes: data.prefix(sent)))
                    // Failing mid-body makes the server close the connection: the client sees a short body.
                    throw CancellationError()
                })
        case .stalled(let data, let sent, let seconds):
            return Response(
                status: .ok,
                body: ResponseBody(contentLength: data.count) { writer in
                    try await writer.write(ByteBuffer(bytes: data.prefix(sent)))
                    try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                    throw CancellationError()
                })
        case .status(let code):
            return Response(status: HTTPResponse.Status(code: code))
        }
    }
}

/// Records each request's path.
actor RequestLog {
    private(set) var paths: [String] = []
    func add(_ path: String) { paths.append(path) }
}

@available(macOS 14, *)
struct LoggingMiddleware<Context: RequestContext>: RouterMiddleware {
    let log: RequestLog
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        await log.add(request.uri.path)
        return try await next(request, context)
    }
}

/// Runs the blocking `body` on a thread of its own, so that it does not hold one of the few threads of the
/// concurrency pool that also runs the server's handlers.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// A task executor on a concurrent Dispatch queue of its own (Dispatch adds threads when its jobs block).
final class OwnThreadsExecutor: TaskExecutor, Sendable {
    static let shared = OwnThreadsExecutor()
    private let queue = DispatchQueue(label: "LoopbackServer", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
