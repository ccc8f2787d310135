import Glibc

/// Deletes a destination entry, a directory with everything below it, reporting each
/// removed path deepest first (as rsync lists deletions). Never follows symlinks.
struct Remover {
    let dryRun: Bool
    let onRemoved: (Entry) -> Void
    let onError: (SyError) -> Void

    /// Removes `name` (stream path `path`) in `dir`.
    func remove(dir: Int32, name: PathBytes, path: PathBytes) {
        let st: FileStat
        do { st = try Sys.fstatat(dir, name) } catch {
            if error.code != ENOENT { onError(SyError.sys("cannot stat", path, error.code, status: .partial)) }
            return
        }
        guard let kind = st.kind else { return }
        if kind == .directory {
            let fd: Int32
            do { fd = try Sys.openDir(dir, name) } catch {
                onError(SyError.sys("cannot open directory for deletion", path, error.code, status: .partial))
                return
            }
            let names: [PathBytes]
            do { names = try DirReader.sortedNames(fd) } catch {
                Sys.close(fd)
                onError(SyError.sys("cannot read directory", path, error.code, status: .partial))
                return
            }
            for child in names.reversed() {
                remove(dir: fd, name: child, path: PathOps.join(path, child))
            }
            Sys.close(fd)
        }
        if !dryRun {
            do { try Sys.unlinkat(dir, name, isDir: kind == .directory) } catch {
                if error.code == ENOTEMPTY || error.code == EEXIST {
                    onError(SyError("cannot delete non-empty directory: \(path.displayName)", status: .partial, errno: error.code))
                } else {
                    onError(SyError.sys("delete failed for", path, error.code, status: .partial))
                }
                return
            }
        }
        onRemoved(Entry(path: path, stat: st, kind: kind))
    }
}
