import ArgumentParser
import SyCore

/// `sy show [FILE]`: print any sy stream as text or JSON Lines, or encode JSON Lines back.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sy show",
        abstract: "Print an sy stream as text or JSON Lines, or turn JSON Lines back into a stream.",
        discussion: """
            Reads stdin unless FILE is given. --json prints one JSON object per record (a header
            line first, an end line last); --encode reads such lines and writes the binary
            stream, recomputing the record count and checksum. A round trip is byte-identical.
            A batch file (--write-batch) is shown pass by pass, each a delta stream.
            """,
        version: versionString("sy"))

    @Flag(name: .customLong("json"), help: "JSON Lines output.")
    var json = false
    @Flag(name: .customLong("encode"), help: "Read JSON Lines, write a binary stream.")
    var encode = false
    @Argument(help: "A stream file or a batch file (default: stdin).")
    var file: String?

    func validate() throws {
        if json && encode { throw ValidationError("--json and --encode are exclusive") }
    }
}
