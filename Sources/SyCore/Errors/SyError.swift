import Glibc

/// The one error type of the library: what went wrong, on which path, and the errno behind it.
public struct SyError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var status: ExitStatus
    public var errno: Int32?
    /// A source argument that does not exist: a transfer error (23) that, as in rsync, is no
    /// IO error of the sender's list, so the receiver's deletions still happen.
    public var missingSource = false

    public init(_ message: String, status: ExitStatus = .fileIO, errno: Int32? = nil) {
        self.message = message
        self.status = status
        self.errno = errno
    }

    /// `cannot open 'x/y': Permission denied (13)`.
    public static func sys(_ what: String, _ path: some PathDescribable, _ err: Int32, status: ExitStatus = .fileIO) -> SyError {
        SyError("\(what) '\(path.displayName)': \(errnoText(err))", status: status, errno: err)
    }

    /// rsync's `link_stat "arg" failed` for a source argument; a missing one leaves deletions on.
    public static func sourceStat(_ arg: some PathDescribable, _ err: Int32) -> SyError {
        var e = SyError.sys("link_stat failed for", arg, err, status: .partial)
        e.missingSource = err == ENOENT
        return e
    }

    /// A file that could not be read: rsync's "file has vanished" (24) when it is gone,
    /// else `what 'path': reason` (23).
    public static func unreadable(_ what: String, _ path: PathBytes, _ err: Int32) -> SyError {
        err == ENOENT ? SyError("file has vanished: '\(path.displayName)'", status: .vanished, errno: err)
                      : .sys(what, path, err, status: .partial)
    }

    /// A protocol-level error: bad or truncated stream at a byte offset (exit 12).
    public static func stream(_ what: String, offset: UInt64) -> SyError {
        SyError("bad stream at byte \(offset): \(what)", status: .streamIO)
    }

    public var description: String { message }
}

/// `No such file or directory (2)`.
public func errnoText(_ err: Int32) -> String {
    "\(String(cString: strerror(err))) (\(err))"
}

/// Anything that can name itself in an error message.
public protocol PathDescribable {
    var displayName: String { get }
}

extension String: PathDescribable {
    public var displayName: String { self }
}

/// Writes one line to stderr, prefixed with the program name (unless `prefixed` is false, or
/// the line is one of rsync's bare `ERROR: ...` or `WARNING: ...` lines).
public func warn(_ line: String, prefixed: Bool = true) {
    OutputBarrier.beforeStderr?()
    let text = prefixed && !line.hasPrefix("ERROR: ") && !line.hasPrefix("WARNING: ") ? "\(ProgramName.current): \(line)" : line
    var bytes = RawArguments.shown(text) + [0x0A]
    bytes.withUnsafeMutableBytes { buf in
        var off = 0
        while off < buf.count {
            let n = Glibc.write(2, buf.baseAddress! + off, buf.count - off)
            if n < 0 { if Glibc.errno == EINTR { continue }; return }
            off += n
        }
    }
}

/// Keeps stdout and stderr in order: a stage that gathers its stdout lines writes them before
/// any line goes to stderr.
public enum OutputBarrier {
    nonisolated(unsafe) public static var beforeStderr: (() -> Void)?
}

/// The program name used in messages (`sy`, `sy-scan`, ...).
public enum ProgramName {
    nonisolated(unsafe) public static var current = "sy"
}
