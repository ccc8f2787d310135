import Glibc

/// rsync 3.5's defence for the paths an operator gives (the destination, reference and
/// backup directories, list files): a symlink on the way is followed only when it is owned by
/// root or by the running user, so that someone who can write in a directory on that path
/// cannot plant a link that sends a privileged sync elsewhere (`--insecure-links` turns it off).
public enum TrustedPath {
    /// rsync's refusal, printed before the error of the operation that needed the path.
    public static let refusal = "refusing to follow a symlink owned by an untrusted user; use --insecure-links locally or \"insecure links = yes\" in a daemon module ONLY if every path component is trusted"

    /// The first symlink met on the way to `path`, as the kernel resolves it (link targets
    /// included), that is owned by neither root nor the running user; nil if there is none
    /// (a missing component ends the walk: nothing further is followed).
    public static func untrustedLink(in path: PathBytes) -> PathBytes? {
        let me = geteuid()
        var resolved: PathBytes = [0x2F]
        var pending = components(path.first == 0x2F ? path : Array(currentDirectory().utf8) + [0x2F] + path)
        pending.reverse()
        var links = 0
        while let c = pending.popLast() {
            if c == [0x2E] { continue }
            if c == [0x2E, 0x2E] {
                if let i = resolved.lastIndex(of: 0x2F) { resolved = i == 0 ? [0x2F] : Array(resolved[..<i]) }
                continue
            }
            let next = resolved == [0x2F] ? [0x2F] + c : resolved + [0x2F] + c
            guard let st = try? Sys.fstatat(Sys.atFDCWD, next) else { return nil }
            guard st.kind == .symlink else { resolved = next; continue }
            if st.uid != 0 && st.uid != me { return next }
            links += 1
            guard links <= 40, let target = try? Sys.readlinkat(Sys.atFDCWD, next) else { return nil }
            if target.first == 0x2F { resolved = [0x2F] }
            pending += components(target).reversed()
        }
        return nil
    }

    /// rsync's failure to enter `dir` through an untrusted link (`step`: the number of rsync's
    /// change_dir call), after the refusal line on stderr; nil if the way is trusted.
    public static func refusal(entering dir: PathBytes, step: Int) -> SyError? {
        guard untrustedLink(in: dir) != nil else { return nil }
        warn(refusal, prefixed: false)
        return SyError("change_dir#\(step) \"\(PathOps.shownAbsolute(dir))\" failed: \(errnoText(ELOOP))", status: .fileSelect)
    }

    /// `--insecure-links` was given: operator paths are used as they are.
    nonisolated(unsafe) public static var followAnyLinks = false

    /// Opens an operator's file (a list, a filter file, a log): refused with ELOOP, after the
    /// refusal line, where the way to it passes another user's symlink.
    public static func open(_ file: PathBytes, _ flags: Int32, _ mode: mode_t = 0) throws(Errno) -> Int32 {
        if !followAnyLinks, untrustedLink(in: file) != nil {
            warn(refusal, prefixed: false)
            throw Errno(ELOOP)
        }
        return try Sys.openat(Sys.atFDCWD, file, flags, mode)
    }

    private static func components(_ p: PathBytes) -> [PathBytes] {
        p.split(separator: 0x2F, omittingEmptySubsequences: true).map(Array.init)
    }
}
