import Annotation
import Foundation
import Hummingbird
import Logging
import NIOCore
import Support

/// The labelling page's HTTP layer (Hummingbird): the page, a small JSON API over `AnnotationSession`, and
/// the checks every request passes first.
///
/// - Token: every request carries the session's random token, as `?token=` or the `X-Token` header;
///   without it the answer is 403.
/// - Host: the `Host` header must name the address the server listens on (`127.0.0.1:PORT`,
///   `localhost:PORT`, `[::1]:PORT`), so a page of another site that rebinds its DNS name to 127.0.0.1
///   gets 403 (DNS rebinding).
/// - Bad input (malformed JSON, unknown class, position outside the queue) is a 400 with
///   `{"error": message}`; a failure of the session (a labels file that cannot be written) a 500 with the
///   message. The server never stops on a request.
///
/// API (JSON; every action answers with the new state `{progress, peak, retrain}`):
/// `GET /` the page; `GET /api/state`; `GET /api/peak?position=N`; `POST /api/label {"position", "label"}`;
/// `POST /api/skip`; `POST /api/undo`; `POST /api/step {"delta"}`; `POST /api/retrain`;
/// `POST /api/save-model` → `{"path"}`.
public enum AnnotationServer {
    /// A fresh random token: 32 hexadecimal digits.
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The `Host` values accepted for a server listening on `host:port`.
    public static func allowedHosts(host: String, port: Int) -> Set<String> {
        var hosts: Set<String> = ["\(host):\(port)"]
        if ["127.0.0.1", "localhost", "::1"].contains(host) {
            hosts.formUnion(["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"])
        }
        if host.contains(":") { hosts.insert("[\(host)]:\(port)") }
        return hosts
    }

    /// The router: the checks (token, Host) and the routes.
    /// - Parameter allowedHosts: the accepted `Host` values; read on every request (the port is known only
    ///   once the server listens).
    public static func router(
        session: AnnotationSession, token: String, allowedHosts: Locked<Set<String>>
    ) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: AccessCheck(token: token, allowedHosts: allowedHosts))
        let api = API(session: session)
        router.get("/") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-store"
            headers[.contentSecurityPolicy] =
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.get("/api/state") { _, _ in api.respond { try api.state(peak: true) } }
        router.get("/api/peak") { request, _ in
            api.respond {
                guard let text = request.uri.queryParameters["position"], let position = Int(text) else {
                    throw AnnotationError(file: "", problem: "position must be a whole number (?position=N)")
                }
                _ = try session.view(at: position)
                return try api.state(peak: true)
            }
        }
        router.post("/api/label") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            return api.respond {
                let input = try API.decode(LabelInput.self, body)
                try session.label(position: input.position, as: input.label)
                return try api.state(peak: true)
            }
        }
        router.post("/api/skip") { _, _ in
            api.respond {
                session.skip()
                return try api.state(peak: true)
            }
        }
        router.post("/api/undo") { _, _ in
            api.respond {
                guard try session.undo() else { throw AnnotationError(file: "", problem: "nothing to undo") }
                return try api.state(peak: true)
            }
        }
        router.post("/api/step") { request, _ in
            let body = try await request.body.collect(upTo: 64 * 1024)
            return api.respond {
                let input = try API.decode(StepInput.self, body)
                guard abs(input.delta) == 1 else { throw AnnotationError(file: "", problem: "delta must be -1 or 1") }
                session.step(input.delta)
                return try api.state(peak: true)
            }
        }
        router.post("/api/retrain") { _, _ in
            api.respond {
                try session.retrain()
                return try api.state(peak: false)
            }
        }
        router.get("/api/retrain") { _, _ in api.respond { try api.state(peak: false) } }
        router.post("/api/save-model") { _, _ in
            api.respond { SavedModel(path: try session.saveModel()) }
        }
        return router
    }

    /// Runs the server on `host:port` (0: a free port) until SIGINT or SIGTERM; `onRunning` gets the page's
    /// URL with the token once it listens.
    public static func run(
        session: AnnotationSession, host: String, port: Int, token: String,
        onRunning: @escaping @Sendable (String) -> Void
    ) async throws {
        let allowed = Locked<Set<String>>([])
        let router = router(session: session, token: token, allowedHosts: allowed)
        var logger = Logger(label: "neatms-annotate")
        logger.logLevel = .error
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                let actual = channel.localAddress?.port ?? port
                allowed.withLock { $0 = allowedHosts(host: host, port: actual) }
                let shown = host.contains(":") ? "[\(host)]" : host
                onRunning("http://\(shown):\(actual)/?token=\(token)")
            },
            logger: logger)
        try await app.runService()
    }
}

/// Token and Host checks, before any route.
struct AccessCheck<Context: RequestContext>: RouterMiddleware {
    let token: String
    let allowedHosts: Locked<Set<String>>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let host = request.head.authority ?? ""
        guard allowedHosts.current.contains(host) else {
            return API.error(
                .forbidden, "Host '\(host)' is not this server's address (requests must come from its own page)")
        }
        let given = request.uri.queryParameters["token"].map(String.init) ?? request.headers[API.tokenField] ?? ""
        guard Self.equal(given, token) else {
            return API.error(.forbidden, "missing or wrong token: open the URL neatms annotate printed")
        }
        return try await next(request, context)
    }

    /// Compares in time independent of where the strings differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

struct LabelInput: Decodable {
    var position: Int
    var label: String
}

struct StepInput: Decodable {
    var delta: Int
}

struct SavedModel: Encodable {
    var path: String
}

/// The state every action answers with.
struct SessionState: Encodable {
    var progress: LabelProgress
    var peak: PeakView?
    var retrain: RetrainStatus?
    var mode: String
    var order: String
    var classes: [String]
    var unresolvedLabels: [String]
}

/// JSON in and out.
struct API: Sendable {
    static let tokenField = HTTPFields.Element.Name("X-Token")!
    let session: AnnotationSession

    func state(peak: Bool) throws -> SessionState {
        let progress = session.progress
        return SessionState(
            progress: progress, peak: peak && !progress.finished ? try session.current() : nil,
            retrain: session.retraining, mode: session.options.resultsPath == nil ? "label" : "review",
            order: session.options.order.rawValue, classes: session.options.classes,
            unresolvedLabels: session.unresolvedLabels.map(\.description))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw AnnotationError(
                file: "", problem: "the request body is not the expected JSON (\(Self.describe(error)))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: return "malformed JSON"
        }
    }

    /// Runs `body` and encodes its value; errors become 400 (request) or 500 (session) with the message,
    /// and the time spent is in `Server-Timing`.
    func respond<T: Encodable>(_ body: () throws -> T) -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let value = try body()
            let data = try JSONEncoder().encode(value)
            var response = Self.json(.ok, data)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            response.headers[HTTPFields.Element.Name("Server-Timing")!] = String(format: "app;dur=%.3f", ms)
            return response
        } catch let error as AnnotationError where (error.file ?? "").isEmpty {
            return Self.error(.badRequest, error.problem)
        } catch {
            return Self.error(.internalServerError, "\(error)")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ data: Data) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let data = (try? JSONEncoder().encode(["error": message])) ?? Data("{}".utf8)
        return json(status, data)
    }
}
