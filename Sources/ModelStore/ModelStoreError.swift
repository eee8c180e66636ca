import Support

/// A model that could not be fetched, found or verified: one line `<file or URL>: <problem>`.
public struct ModelStoreError: LocatedError, Equatable, Sendable {
    /// The file, folder or URL concerned.
    public var subject: String
    /// What went wrong.
    public var problem: String

    public init(_ subject: String, _ problem: String) {
        self.subject = subject
        self.problem = problem
    }

    /// The file or URL concerned (`LocatedError`'s name for `subject`).
    public var file: String? {
        get { subject }
        set { subject = newValue ?? "" }
    }
}
