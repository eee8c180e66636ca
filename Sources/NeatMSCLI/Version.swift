/// NeatMSKit's version (Semantic Versioning), as `neatms --version` prints it. Raise it with each release
/// entry in CHANGELOG.md; until the first release it is the pre-release of 0.1.0.
let neatmsVersion = "0.1.0-dev"
