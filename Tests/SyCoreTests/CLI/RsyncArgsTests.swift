import SyCore
import Testing

/// rsync's option syntax that a generic parser does not take as is.
struct RsyncArgsTests {
    @Test func valuesWrittenOntoOneLetterOptions() {
        let split = RsyncArgs.splitAttachedValues
        #expect(split(["-B700"]) == ["-B", "700"])
        #expect(split(["-avB700", "src/"]) == ["-av", "-B", "700", "src/"])
        #expect(split(["-Ttmp"]) == ["-T", "tmp"])
        #expect(split(["-essh -p 22"]) == ["-e", "ssh -p 22"])
        #expect(split(["-f- *.o"]) == ["-f", "- *.o"])
        #expect(split(["-@-1"]) == ["-@", "-1"])
        #expect(split(["-avT"]) == ["-av", "-T"], "a value letter ending a cluster takes the next argument")
        // Left alone: flag clusters, long options, an unknown letter, anything after --.
        for same in [["-avz"], ["--temp-dir=x"], ["-aQ7"], ["-B"], ["-a", "--", "-B700"], ["-"]] {
            #expect(split(same) == same, "\(same)")
        }
    }
}
