import Annotation
import Foundation
import Hummingbird
import HummingbirdTesting
import NeatMS
import Support
import TestSupport
import Testing

@testable import AnnotationServer

/// The HTTP layer through Hummingbird's router test client: token and Host checks, JSON answers, bad input
/// as 4xx with a message, the page itself.
@Suite struct ServerTests {
    let token = "0123456789abcdef0123456789abcdef"

    func app(labels: URL, hosts: Set<String> = ["localhost"]) throws -> some ApplicationProtocol {
        let demo = TestPaths.fixture("demo")
        let experiment = try Experiment(
            rawFolder: demo.appendingPathComponent("raw"),
            table: demo.appendingPathComponent("tables/mzmine_aligned.csv"),
            format: .mzmine)
        let session = try AnnotationSession(experiment: experiment, options: SessionOptions(labelsPath: labels.path))
        return Application(router: AnnotationServer.router(session: session, token: token, allowedHosts: Locked(hosts)))
    }

    func labelsFile() throws -> URL { try TestPaths.temporaryDirectory("server").appendingPathComponent("labels.csv") }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
    }

    @Test func requestsWithoutTheTokenAreRefused() async throws {
        try await app(labels: labelsFile()).test(.router) { client in
            for uri in ["/", "/api/state", "/api/state?token=wrong", "/api/state?token=\(token)x"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .forbidden, "\(uri)")
                #expect(
                    try json(response)["error"] as? String
                        == "missing or wrong token: open the URL neatms annotate printed")
            }
            let labelled = try await client.execute(
                uri: "/api/label", method: .post, body: ByteBuffer(string: #"{"position":0,"label":"Noise"}"#))
            #expect(labelled.status == .forbidden)
            let byHeader = try await client.execute(uri: "/api/state", method: .get, headers: [API.tokenField: token])
            #expect(byHeader.status == .ok)
        }
    }

    @Test func otherHostHeadersAreRefused() async throws {
        // The router test client always sends Host `localhost`: a server that listens on 127.0.0.1:8123 must
        // refuse it (as it refuses any rebinding host name).
        try await app(labels: labelsFile(), hosts: AnnotationServer.allowedHosts(host: "127.0.0.1", port: 8123)).test(
            .router
        ) { client in
            let response = try await client.execute(uri: "/api/state?token=\(token)", method: .get)
            #expect(response.status == .forbidden)
            #expect(
                (try json(response)["error"] as? String)?.hasPrefix("Host 'localhost' is not this server's address")
                    == true)
        }
        #expect(AnnotationServer.allowedHosts(host: "127.0.0.1", port: 8123).contains("localhost:8123"))
        #expect(!AnnotationServer.allowedHosts(host: "127.0.0.1", port: 8123).contains("evil.example:8123"))
    }

    @Test func labelThroughTheAPIAndBadInput() async throws {
        let labels = try labelsFile()
        try await app(labels: labels).test(.router) { client in
            let state = try json(try await client.execute(uri: "/api/state?token=\(token)", method: .get))
            let peak = try #require(state["peak"] as? [String: Any])
            let position = try #require(peak["position"] as? Int)
            let labelled = try await client.execute(
                uri: "/api/label?token=\(token)", method: .post,
                body: ByteBuffer(string: #"{"position":\#(position),"label":"Low_quality"}"#))
            #expect(labelled.status == .ok)
            let after = try json(labelled)
            #expect((after["progress"] as? [String: Any])?["labelled"] as? Int == 1)
            #expect((after["peak"] as? [String: Any])?["position"] as? Int != position)
            #expect(labelled.headers[HTTPFields.Element.Name("Server-Timing")!]?.hasPrefix("app;dur=") == true)
            // The label is in the file before the answer.
            let entries = try PeakLabels(
                url: labels,
                table: FeatureTable.read(TestPaths.fixture("demo/tables/mzmine_aligned.csv"), format: .mzmine)
            ).entries
            #expect(entries.map(\.peak) == [try #require(peak["peak"] as? Int)])

            let cases: [(String, String, String)] = [
                ("/api/label", "not json", "the request body is not the expected JSON (malformed JSON)"),
                ("/api/label", #"{"position":0}"#, "the request body is not the expected JSON (missing 'label')"),
                (
                    "/api/label", #"{"position":0,"label":"Good"}"#,
                    "'Good' is not one of the classes High_quality, Low_quality, Noise"
                ),
                ("/api/label", #"{"position":99999,"label":"Noise"}"#, "position 99999 is outside the queue (0..<432)"),
                ("/api/step", #"{"delta":5}"#, "delta must be -1 or 1"),
                ("/api/retrain", "", "retraining needs a model: start with --model"),
            ]
            for (uri, body, message) in cases {
                let response = try await client.execute(
                    uri: uri + "?token=\(token)", method: .post, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(uri) \(body)")
                #expect(try json(response)["error"] as? String == message)
            }
            let badPosition = try await client.execute(uri: "/api/peak?token=\(token)&position=x", method: .get)
            #expect(badPosition.status == .badRequest)
            #expect(
                try PeakLabels(
                    url: labels,
                    table: FeatureTable.read(TestPaths.fixture("demo/tables/mzmine_aligned.csv"), format: .mzmine)
                ).entries.count == 1)
        }
    }

    @Test func thePageIsServedFromTheBinaryAndIsTheCommittedSource() async throws {
        let source = try String(
            contentsOf: TestPaths.packageRoot.appendingPathComponent("Sources/AnnotationServer/Web/index.html"),
            encoding: .utf8)
        #expect(WebPage.html == source.trimmingCharacters(in: .newlines), "run Scripts/annotate/embed_page.py")
        try await app(labels: labelsFile()).test(.router) { client in
            let response = try await client.execute(uri: "/?token=\(token)", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            let html = String(buffer: response.body)
            #expect(html.contains("<title>neatms annotate</title>"))
            // Nothing loaded from elsewhere (works offline): no external scripts, styles or links.
            for external in ["src=\"http", "href=\"http", "url(http", "@import"] { #expect(!html.contains(external)) }
        }
    }
}
