import Support
import Testing

/// A `LocatedError` with every part settable, to check the protocol's own formatting.
private struct Sample: LocatedError {
    var file: String?
    var line: Int?
    var location: String?
    var problem: String
}

/// Only the two required parts: `line` and `location` come from the protocol's defaults.
private struct Minimal: LocatedError {
    var file: String?
    var problem: String
}

@Suite struct LocatedErrorTests {
    @Test func descriptionJoinsThePartsThatAreThere() {
        #expect(
            Sample(file: "a.h5", line: nil, location: "/X", problem: "no such dataset").description
                == "a.h5: /X: no such dataset")
        #expect(
            Sample(file: "t.csv", line: 4, location: nil, problem: "empty label").description == "t.csv:4: empty label")
        #expect(
            Sample(file: "r.mzML", line: 47, location: "spectrum #2", problem: "bad").description
                == "r.mzML:47: spectrum #2: bad")
        #expect(Sample(file: nil, line: nil, location: "layer 'd'", problem: "odd").description == "layer 'd': odd")
        #expect(Sample(file: nil, line: 3, location: nil, problem: "odd").description == "line 3: odd")
        #expect(Sample(file: nil, line: nil, location: nil, problem: "odd").description == "odd")
        // An empty file or location counts as none.
        #expect(Sample(file: "", line: nil, location: "", problem: "odd").description == "odd")
        #expect(Minimal(file: "m.h5", problem: "no such file").description == "m.h5: no such file")
    }

    @Test func descriptionIsOneLine() {
        let error = Sample(file: "m.keras", line: nil, location: nil, problem: "\n  cannot decode:  \nsecond line\n")
        #expect(error.description == "m.keras: cannot decode:")
    }

    @Test func withoutFileKeepsLocationAndProblem() {
        var error = Sample(file: "/tmp/copy.h5", line: 2, location: "/model_weights", problem: "no such group")
        #expect(error.withoutFile == "/model_weights: no such group")
        error.file = "model.keras"
        #expect(error.description == "model.keras:2: /model_weights: no such group")
    }

    @Test func oneLineTakesTheFirstNonBlankLineTrimmed() {
        #expect(oneLine("first\nsecond") == "first")
        #expect(oneLine("\r\n \t\n  spaced out \r\nnext") == "spaced out")
        #expect(oneLine("single") == "single")
        #expect(oneLine(" \n ") == "")
    }
}
