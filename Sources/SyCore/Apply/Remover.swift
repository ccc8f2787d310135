import Glibc
import CSyLinux

/// Deletes a destination entry, a directory with everything below it, reporting each
/// removed path deepest first (as rsync lists deletions). Never follows symlinks.
///
/// It works as rsync's delete_item and delete_dir_contents do: what the rules protect stays
/// (with the directories holding it, each said "cannot delete non-empty directory" on
/// stdout), and `--max-delete` is checked for every entry once its contents are gone, a
/// directory included, each one over the limit counted as skipped.
struct Remover {
    let dryRun: Bool
    let onRemoved: (Entry) -> Void
    let onError: (SyError) -> Void
    /// Entries kept by the filter rules (rsync keeps excluded files inside a deleted directory,
    /// and the directory with them): asked with the path, whether it is a directory, and the
    /// rules as they stand in its directory.
    var protects: (PathBytes, Bool, FilterList) -> Bool = { _, _, _ in false }
    /// The receiver's rules in the directory holding the entry; each directory walked for
    /// deletion adds its own per-directory merge files, as rsync's deletion reads them.
    var rules = FilterList()
    /// `--max-delete`: whether the limit is reached (then an entry is kept and `onSkipped` called).
    var atLimit: () -> Bool = { false }
    var onSkipped: () -> Void = {}
    /// `--backup`: moves a file away instead of unlinking it; false if that failed.
    var keepFile: ((Int32, PathBytes, PathBytes) -> Bool)?
    /// rsync's informational lines (stdout), such as a directory that keeps what it holds.
    var onNote: (String) -> Void = { _ in }
    /// A directory kept for what it holds (said with `onNote`).
    var onKept: (PathBytes) -> Void = { _ in }
    /// Where a removed file's blocks are freed: a file with data is held by an O_PATH
    /// descriptor over its unlink, and the descriptor closed there (see `Closer`: freeing
    /// blocks can wait for the disk), instead of in the unlink.
    var closer: Closer?

    /// rsync's delret: how the deletion of one entry went.
    enum Outcome { case removed, failed, atLimit, notEmpty }

    /// Removes `name` (stream path `path`) in `dir`; false if something was kept. `quiet`: the
    /// entry itself is not reported nor counted against --max-delete (a directory making room
    /// for another kind, as rsync's DEL_MAKE_ROOM; what it holds still is).
    @discardableResult
    func remove(dir: Int32, name: PathBytes, path: PathBytes, quiet: Bool = false) -> Bool {
        let st: FileStat
        do { st = try Sys.fstatat(dir, name) } catch {
            if error.code != ENOENT { onError(SyError.sys("cannot stat", path, error.code, status: .partial)) }
            return false
        }
        guard let kind = st.kind else { return false }
        // (Making room, the entry itself is not looked up in the filters: the sender sent its
        // name, as rsync's delete_item for DEL_MAKE_ROOM; what a directory holds still is.)
        if !quiet && protects(path, kind == .directory, rules) { return false }
        if kind == .directory, contents(dir: dir, name: name, path: path, rules: rules) != .removed { return false }
        return item(dir: dir, name: name, path: path, st: st, kind: kind, quiet: quiet) == .removed
    }

    /// rsync's delete_dir_contents: every entry below the directory, deepest first; what stays
    /// makes the directory not empty, which is said once here.
    private func contents(dir: Int32, name: PathBytes, path: PathBytes, rules outer: FilterList) -> Outcome {
        let fd: Int32
        do { fd = try Sys.openDir(dir, name) } catch {
            onError(SyError.sys("cannot open directory for deletion", path, error.code, status: .partial))
            return .failed
        }
        defer { Sys.close(fd) }
        let names: [PathBytes]
        do { names = try DirReader.deletionOrder(fd) } catch {
            onError(SyError.sys("cannot read directory", path, error.code, status: .partial))
            return .failed
        }
        var rules = outer
        rules.enter(directory: path, fd: fd)
        var outcome = Outcome.removed
        for child in names {
            let childPath = PathOps.join(path, child)
            guard let st = try? Sys.fstatat(fd, child), let kind = st.kind else { continue }
            if protects(childPath, kind == .directory, rules) { outcome = .notEmpty; continue }
            if kind == .directory, contents(dir: fd, name: child, path: childPath, rules: rules) != .removed { outcome = .notEmpty }
            // A directory whose contents stayed is still tried (and counted), as rsync does.
            if item(dir: fd, name: child, path: childPath, st: st, kind: kind) != .removed { outcome = .notEmpty }
        }
        if outcome == .notEmpty {
            onNote("cannot delete non-empty directory: \(path.displayName)")
            onKept(path)
        }
        return outcome
    }

    /// rsync's delete_item for an entry whose contents are done: the limit, then the unlink.
    private func item(dir: Int32, name: PathBytes, path: PathBytes, st: FileStat, kind: EntryKind, quiet: Bool = false) -> Outcome {
        if !quiet && atLimit() {
            onSkipped()
            return .atLimit
        }
        if !dryRun, kind != .directory, let keepFile {
            guard keepFile(dir, name, path) else { return .failed }
        } else if !dryRun {
            let held = kind == .file && st.nlink == 1 && st.size > 0 && closer != nil
                ? withCPath(name) { openat(dir, $0, sy_O_PATH | O_NOFOLLOW | O_CLOEXEC) } : -1
            defer { if held >= 0 { closer?.close(held, size: st.size) } }
            do { try Sys.unlinkat(dir, name, isDir: kind == .directory) } catch {
                if kind == .directory && (error.code == ENOTEMPTY || error.code == EEXIST) {
                    // Backups kept beside their files, or something new: rsync says so, not as an error.
                    onNote("cannot delete non-empty directory: \(path.displayName)")
                    return .notEmpty
                }
                onError(SyError.sys("delete failed for", path, error.code, status: .partial))
                return .failed
            }
        }
        if !quiet { onRemoved(Entry(path: path, stat: st, kind: kind)) }
        return .removed
    }
}
