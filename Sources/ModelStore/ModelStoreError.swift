/// A model that could not be fetched, found or verified: one line `<file or URL>: <problem>`.
public struct ModelStoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file, folder or URL concerned.
    public var subject: String
    /// What went wrong.
    public var problem: String

    public init(_ subject: String, _ problem: String) {
        self.subject = subject
        self.problem = problem
    }

    public var description: String { "\(subject): \(problem)" }
}
