/// Exit codes, with rsync's values from `errcode.h`.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    case syntax = 1
    case protocolIncompatible = 2
    case fileSelect = 3
    case unsupported = 4
    case startClient = 5
    case socketIO = 10
    case fileIO = 11
    case streamIO = 12
    case messageIO = 13
    case ipc = 14
    case signal = 20
    case waitChild = 21
    case malloc = 22
    case partial = 23
    case vanished = 24
    case deleteLimit = 25
    case timeout = 30
    case connectTimeout = 35
    /// The remote shell found the remote command but could not run it (rsync's RERR_CMD_RUN).
    case commandNotRunnable = 126
    /// The remote shell did not find the remote command (rsync's RERR_CMD_NOTFOUND).
    case commandNotFound = 127
    /// The remote shell exited with 255 (ssh could not connect, or lost the connection): rsync's code then.
    case unexplained = 255
    /// The status for a remote shell's exit code 126 or 127 (the command not run or not
    /// found); nil for any other code.
    public static func remoteCommand(_ code: Int32) -> ExitStatus? {
        switch code {
        case 126: return .commandNotRunnable
        case 127: return .commandNotFound
        default: return nil
        }
    }

    /// Internal, between sy and sy-apply: only verification failures; sy redoes those files whole.
    case redo = 100

    /// Combines two per-stage outcomes: any hard failure wins, then 23, then 24, then 25 (rsync's
    /// order: a file that failed or vanished says more than deletions stopped at --max-delete).
    public func merged(with other: ExitStatus) -> ExitStatus {
        func rank(_ s: ExitStatus) -> Int {
            switch s {
            case .ok: return 0
            case .deleteLimit: return 1
            case .vanished: return 2
            case .partial: return 3
            default: return 4
            }
        }
        return rank(other) > rank(self) ? other : self
    }
}
