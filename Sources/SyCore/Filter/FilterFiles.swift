import Glibc

/// Reads per-directory merge files.
public enum FilterFiles {
    /// The bytes of `path` below `dirfd` (never following a symlink at its last component),
    /// or nil if there is no such file; other failures are reported and count as no file.
    public static func read(_ dirfd: Int32, _ path: PathBytes) -> [UInt8]? {
        do throws(Errno) {
            let fd = try Sys.openat(dirfd, path, O_RDONLY | O_NOFOLLOW)
            defer { Sys.close(fd) }
            return try Sys.readAll(fd, limit: 16 << 20)
        } catch {
            if error.code != ENOENT && error.code != ENOTDIR { warn("cannot read filter file '\(path.displayName)': \(errnoText(error.code))") }
            return nil
        }
    }
}
