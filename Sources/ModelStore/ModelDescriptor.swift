import Foundation

/// A published model file pinned to one commit of its repository and to its git blob id, so that a download
/// is accepted only when it is byte for byte the file the authors committed.
public struct ModelDescriptor: Sendable, Equatable {
    /// The name users type (`neatms-default`); also accepted wherever a model file is.
    public var name: String
    /// The file's name in its repository (and in the cache).
    public var fileName: String
    /// `owner/name` on GitHub.
    public var repository: String
    /// The file's path inside the repository.
    public var pathInRepository: String
    /// The pinned commit (40 hex digits).
    public var commit: String
    /// The git blob id: SHA-1 of `blob <size>\0` followed by the content (40 hex digits).
    public var blobID: String
    /// The size in bytes when it is pinned; nil when only the blob id is (whose header fixes the size too).
    public var size: Int?
    /// The licence the file is published under.
    public var licence: String
    /// The High_quality threshold its authors recommend, if they published one.
    public var recommendedThreshold: Double?
    /// Where the file is downloaded from by default.
    public var url: URL
    /// One line: what the model is.
    public var summary: String

    public init(
        name: String, fileName: String, repository: String, pathInRepository: String, commit: String,
        blobID: String, size: Int?, licence: String, recommendedThreshold: Double?, url: URL, summary: String
    ) {
        self.name = name
        self.fileName = fileName
        self.repository = repository
        self.pathInRepository = pathInRepository
        self.commit = commit
        self.blobID = blobID
        self.size = size
        self.licence = licence
        self.recommendedThreshold = recommendedThreshold
        self.url = url
        self.summary = summary
    }

    /// A file in a GitHub repository at a commit, downloaded from `raw.githubusercontent.com`.
    public static func gitHub(
        name: String, repository: String, pathInRepository: String, commit: String, blobID: String, size: Int?,
        licence: String, recommendedThreshold: Double?, summary: String
    ) -> ModelDescriptor {
        let fileName = pathInRepository.split(separator: "/").last.map(String.init) ?? pathInRepository
        let url = URL(string: "https://raw.githubusercontent.com/\(repository)/\(commit)/\(pathInRepository)")!
        return ModelDescriptor(
            name: name, fileName: fileName, repository: repository, pathInRepository: pathInRepository,
            commit: commit, blobID: blobID, size: size, licence: licence,
            recommendedThreshold: recommendedThreshold, url: url, summary: summary)
    }
}

/// The models NeatMSKit knows by name.
public enum ModelRegistry {
    /// NeatMS's repository and the commit both published models are pinned to.
    public static let neatmsRepository = "bihealth/NeatMS"
    public static let neatmsCommit = "c737e7dede42df99b98fabc3531be13936a4c91d"

    /// NeatMS's default model, the one its documentation pairs with threshold 0.22. Its size is not pinned
    /// (it could not be read where this registry was written); the blob id's `blob <size>` header fixes it.
    public static let neatmsDefault = ModelDescriptor.gitHub(
        name: "neatms-default", repository: neatmsRepository,
        pathInRepository: "data/model/neatms_default_model.h5", commit: neatmsCommit,
        blobID: "ee11f2d04615763138f5078482c8cc0a27e3ea35", size: nil, licence: "MIT",
        recommendedThreshold: 0.22,
        summary: "NeatMS's published default model (the one its documentation uses, threshold 0.22)")

    /// NeatMS's second published model; its authors published no threshold for it.
    public static let neatmsDefault2 = ModelDescriptor.gitHub(
        name: "neatms-default2", repository: neatmsRepository,
        pathInRepository: "data/model/neatms_default_model2_020.h5", commit: neatmsCommit,
        blobID: "7efdac448d34dfd47e9b4176605f054821fa6bb8", size: nil, licence: "MIT",
        recommendedThreshold: nil,
        summary: "NeatMS's second published model (no threshold published)")

    /// Every known model, in the order `neatms model list` shows them.
    public static let known: [ModelDescriptor] = [neatmsDefault, neatmsDefault2]

    /// The known model called `name`, or nil.
    public static func descriptor(named name: String) -> ModelDescriptor? {
        known.first { $0.name == name }
    }
}
