import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP(S) GET streamed into a file through Foundation's URLSession (libcurl on Linux), with an idle
/// and a total timeout. Refuses an error status before writing anything, and a body longer than `limit`
/// or shorter than its announced Content-Length.
final class HTTPDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // Set before the task starts; the delegate callbacks run one at a time on `queue`, and `run` reads the
    // results only after `finished` was signalled, so no lock is needed.
    private let url: URL
    private let limit: Int?
    private let output: FileHandle
    private let idleTimeout: TimeInterval
    private let totalTimeout: TimeInterval
    private let progress: @Sendable (FetchProgress) -> Void
    private let queue = OperationQueue()
    private let finished = DispatchSemaphore(value: 0)

    private var received = 0
    private var expected: Int?
    private var failure: ModelStoreError?

    init(
        url: URL, limit: Int?, output: FileHandle, idleTimeout: TimeInterval, totalTimeout: TimeInterval,
        progress: @escaping @Sendable (FetchProgress) -> Void
    ) {
        self.url = url
        self.limit = limit
        self.output = output
        self.idleTimeout = idleTimeout
        self.totalTimeout = totalTimeout
        self.progress = progress
        queue.maxConcurrentOperationCount = 1
    }

    private var subject: String { url.absoluteString }

    /// Runs the download to its end and returns the number of bytes written.
    /// - Throws: `ModelStoreError` naming the URL.
    func run() throws -> Int {
        // No URL cache, cookies or stored credentials. (`.default`, not `.ephemeral`: Foundation on Linux gives
        // an ephemeral configuration a URL cache of its own whose folder it creates in the user's cache folder;
        // `.default` takes `URLCache.shared`, which a program can set to one without a folder.)
        let configuration = URLSessionConfiguration.default
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.timeoutIntervalForResource = totalTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.urlCredentialStorage = nil
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: idleTimeout)
        // The bytes as stored: a compressed transfer would make Content-Length count other bytes.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("NeatMSKit", forHTTPHeaderField: "User-Agent")
        let task = session.dataTask(with: request)
        task.resume()
        if finished.wait(timeout: .now() + totalTimeout) == .timedOut {
            queue.addOperation {
                if self.failure == nil {
                    self.failure = ModelStoreError(
                        self.subject,
                        "the download took longer than \(Self.seconds(self.totalTimeout)); nothing was kept")
                }
            }
            task.cancel()
            finished.wait()
        }
        if let failure { throw failure }
        if let expected, received != expected {
            throw ModelStoreError(
                subject, "the transfer ended after \(received) of \(expected) bytes; nothing was kept")
        }
        return received
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse {
            guard (200..<300).contains(http.statusCode) else {
                let reason = HTTPURLResponse.localizedString(forStatusCode: http.statusCode)
                failure = ModelStoreError(
                    subject, "the server answered HTTP \(http.statusCode) (\(reason)); nothing was kept")
                completionHandler(.cancel)
                return
            }
            let encoding = (http.value(forHTTPHeaderField: "Content-Encoding") ?? "identity").lowercased()
            if response.expectedContentLength >= 0, encoding == "identity" {
                expected = Int(response.expectedContentLength)
            }
        }
        if let limit, let expected, expected != limit {
            failure = ModelStoreError(
                subject, "the server announces \(expected) bytes but the model has \(limit); nothing was kept")
            completionHandler(.cancel)
            return
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do {
            try output.write(contentsOf: data)
        } catch {
            failure = ModelStoreError(subject, "cannot write the download: \(error.localizedDescription)")
            dataTask.cancel()
            return
        }
        received += data.count
        if let limit, received > limit {
            failure = ModelStoreError(subject, "more than the model's \(limit) bytes arrived; nothing was kept")
            dataTask.cancel()
            return
        }
        progress(FetchProgress(received: received, expected: expected))
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if failure == nil, let error {
            let code = (error as NSError).code
            if code == NSURLErrorTimedOut {
                failure = ModelStoreError(
                    subject, "no data arrived for \(Self.seconds(idleTimeout)) (timed out); nothing was kept")
            } else if let expected, received < expected {
                failure = ModelStoreError(
                    subject, "the transfer ended after \(received) of \(expected) bytes; nothing was kept")
            } else {
                let reason = (error as NSError).localizedDescription
                failure = ModelStoreError(subject, "the download failed: \(reason); nothing was kept")
            }
        }
        finished.signal()
    }

    private static func seconds(_ value: TimeInterval) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
