import Glibc

/// Deletes a destination entry, a directory with everything below it, reporting each
/// removed path deepest first (as rsync lists deletions). Never follows symlinks.
struct Remover {
    let dryRun: Bool
    let onRemoved: (Entry) -> Void
    let onError: (SyError) -> Void
    /// Entries kept by the filter rules (rsync keeps excluded files inside a deleted directory,
    /// and the directory with them).
    var protects: (PathBytes, Bool) -> Bool = { _, _ in false }
    /// `--backup`: moves a file away instead of unlinking it; false if that failed.
    var keepFile: ((Int32, PathBytes, PathBytes) -> Bool)?
    /// rsync's informational lines (stdout), such as a directory its backups keep.
    var onNote: (String) -> Void = { _ in }

    /// Removes `name` (stream path `path`) in `dir`; false if something was kept. `quiet`: the
    /// entry itself is not reported (a directory making room for another kind, as rsync).
    @discardableResult
    func remove(dir: Int32, name: PathBytes, path: PathBytes, quiet: Bool = false) -> Bool {
        let st: FileStat
        do { st = try Sys.fstatat(dir, name) } catch {
            if error.code != ENOENT { onError(SyError.sys("cannot stat", path, error.code, status: .partial)) }
            return false
        }
        guard let kind = st.kind else { return false }
        if protects(path, kind == .directory) { return false }
        var kept = false
        if kind == .directory {
            let fd: Int32
            do { fd = try Sys.openDir(dir, name) } catch {
                onError(SyError.sys("cannot open directory for deletion", path, error.code, status: .partial))
                return false
            }
            let names: [PathBytes]
            do { names = try DirReader.deletionOrder(fd) } catch {
                Sys.close(fd)
                onError(SyError.sys("cannot read directory", path, error.code, status: .partial))
                return false
            }
            for child in names where !remove(dir: fd, name: child, path: PathOps.join(path, child)) {
                kept = true
            }
            Sys.close(fd)
            // With backups rsync still tries the directory (and says why it stays, below).
            if kept && (keepFile == nil || dryRun) { return false }
        }
        if !dryRun, kind != .directory, let keepFile {
            guard keepFile(dir, name, path) else { return false }
        } else if !dryRun {
            do { try Sys.unlinkat(dir, name, isDir: kind == .directory) } catch {
                if (error.code == ENOTEMPTY || error.code == EEXIST) && keepFile != nil {
                    // Backups kept beside their files keep the directory; rsync says so, not as an error.
                    onNote("cannot delete non-empty directory: \(path.displayName)")
                    return false
                }
                if error.code == ENOTEMPTY || error.code == EEXIST {
                    onError(SyError("cannot delete non-empty directory: \(path.displayName)", status: .partial, errno: error.code))
                } else {
                    onError(SyError.sys("delete failed for", path, error.code, status: .partial))
                }
                return false
            }
        }
        if !quiet { onRemoved(Entry(path: path, stat: st, kind: kind)) }
        return true
    }
}
