import Glibc
import SyCore

/// `sy`: dispatches `sy show` and otherwise runs a sync with rsync's options.
let args = Array(CommandLine.arguments.dropFirst())
if args.first == "show" {
    toolMain(ShowCommand.self, name: "sy", arguments: Array(args.dropFirst())) { cmd in
        var fd: Int32 = 0
        if let f = cmd.file {
            do throws(Errno) { fd = try Sys.openat(Sys.atFDCWD, f.pathBytes, O_RDONLY) } catch {
                throw SyError.sys("cannot open", f, error.code, status: .fileIO)
            }
        }
        if cmd.encode { try Show.encode(input: fd, output: 1) } else { try Show.print(input: fd, output: 1, json: cmd.json) }
        return .ok
    }
}
let (rest, negated) = RsyncArgs.splitNegations(args)
toolMain(SyncCommand.self, name: "sy", arguments: RsyncArgs.normalize(rest)) { cmd in
    try Transfer(cmd.request(negated: negated)).run()
}
