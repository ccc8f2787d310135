import Glibc

/// rsync's `--backup`: a destination file about to be replaced or deleted is kept, as
/// `NAME~` beside it or under `--backup-dir` at the same relative path.
public struct BackupPolicy: Sendable {
    public var suffix: PathBytes
    /// The backup directory (already resolved against the destination), or nil.
    public var dir: PathBytes?
    /// The backup directory as given (relative to the destination), for -vv's lines.
    public var shownDir: PathBytes?

    public init(suffix: PathBytes, dir: PathBytes?, shownDir: PathBytes? = nil) {
        self.suffix = suffix; self.dir = dir
        if var d = shownDir {
            while d.count > 1 && d.last == 0x2F { d.removeLast() }
            self.shownDir = d
        }
    }

    /// rsync's -vv line on the backup directory, "(new)" where it is not there yet.
    public var note: String? {
        guard let dir, let shown = shownDir else { return nil }
        let there = (try? Sys.fstatat(Sys.atFDCWD, dir, follow: true))?.kind == .directory
        return (there ? "" : "(new) ") + "backup_dir is " + shown.displayName
    }
}

extension Applier {
    /// Keeps the entry `name` in `dir` (stream path `path`): `move` renames it away (a
    /// deletion), otherwise a hard link is made (the file is about to be renamed over).
    /// Returns false (reported) when the backup could not be made; the caller then leaves the
    /// file alone.
    func backup(dir: Int32, name: PathBytes, path: PathBytes, move: Bool) -> Bool {
        guard let policy = options.backup else { return true }
        guard let st = try? Sys.fstatat(dir, name), st.kind != .directory else { return true }
        if refusesBackup() { return false }
        do throws(Errno) {
            let (bdir, bname, owned) = try backupLocation(policy, dir: dir, name: name, path: path)
            defer { if owned { Sys.close(bdir) } }
            if (try? Sys.fstatat(bdir, bname))?.kind == .directory { throw Errno(EISDIR) }
            if move {
                try Sys.renameat(dir, name, bdir, bname)
            } else {
                do { try Sys.unlinkat(bdir, bname, isDir: false) } catch { if error.code != ENOENT { throw error } }
                try Sys.linkat(dir, name, bdir, bname)
            }
            noteBackup(policy, path)
            return true
        } catch {
            report(SyError.sys("backup failed for", path, error.code, status: .partial))
            return false
        }
    }

    /// rsync's --info=backup line (-vv) for a backup made, its directory as given.
    func noteBackup(_ policy: BackupPolicy, _ path: PathBytes) {
        guard options.output.backups else { return }
        reporter.line(RawArguments.shownText("backed up \(path.displayName) to \(((policy.shownDir.map { $0 + [0x2F] } ?? []) + path + policy.suffix).displayName)"))
    }

    /// With `--inplace` the file itself is about to change: its backup is a copy (content,
    /// mode, owner, times). False (reported) if it could not be made.
    func backupCopy(dir: Int32, name: PathBytes, path: PathBytes) -> Bool {
        guard let policy = options.backup else { return true }
        guard let st = try? Sys.fstatat(dir, name), st.kind == .file else { return true }
        if refusesBackup() { return false }
        do throws(Errno) {
            let (bdir, bname, owned) = try backupLocation(policy, dir: dir, name: name, path: path)
            defer { if owned { Sys.close(bdir) } }
            try copyIntoPlace(from: dir, name, size: st.size, to: bdir, bname) { out, _ throws(Errno) in
                if canChown && !FakeStat.enabled { try? Sys.fchown(out, st.uid, st.gid) } // (first: it clears set-ID bits)
                try Sys.fchmod(out, mode_t(st.perms))
                try Sys.futimens(out, st.mtimeSec, st.mtimeNsec)
            }
            noteBackup(policy, path)
            return true
        } catch {
            report(SyError.sys("backup failed for", path, error.code, status: .partial))
            return false
        }
    }

    /// rsync 3.5 will not follow another user's symlink on the way to --backup-dir: the first
    /// backup refused there ends the run (exit 11), the file left as it was.
    func refusesBackup() -> Bool {
        guard backupDirRefused else { return false }
        if !backupAborts { warn(TrustedPath.refusal, prefixed: false) }
        backupAborts = true
        return true
    }

    /// Where the backup of `path` goes: a directory fd (owned when it was opened here) and a name.
    private func backupLocation(_ policy: BackupPolicy, dir: Int32, name: PathBytes, path: PathBytes) throws(Errno) -> (Int32, PathBytes, Bool) {
        let bname = name + policy.suffix
        guard bname.count <= 255 else { throw Errno(ENAMETOOLONG) }
        guard let root = policy.dir else { return (dir, bname, false) }
        // Create backup-dir/parent-of-path, one component at a time, never following symlinks.
        var fd: Int32
        do { fd = try Sys.openat(Sys.atFDCWD, root, O_RDONLY | O_DIRECTORY) } catch {
            guard error.code == ENOENT else { throw error }
            _ = system(root)
            fd = try Sys.openat(Sys.atFDCWD, root, O_RDONLY | O_DIRECTORY)
        }
        let parent = PathOps.parent(path)
        if parent != [0x2E] {
            var prefix: PathBytes = []
            for comp in parent.split(separator: 0x2F).map(Array.init) {
                prefix = prefix.isEmpty ? comp : prefix + [0x2F] + comp
                // A new backup directory gets the permissions the destination's directory has
                // then (rsync's make_bak_dir stats it), which it was given as it was reached.
                // (Looked at without moving the directory stack, which holds `dir`.)
                var destDir = prefix == parent ? try? Sys.fstat(dir) : dirs.flatMap { try? Sys.fstatat($0.rootFd, prefix) }
                if FakeStat.enabled, prefix == parent, var st = destDir { FakeStat.overlay(&st, .fd(dir)); destDir = st }
                let mode = destDir.map { mode_t($0.perms) }
                    ?? pending.last(where: { $0.path == prefix }).map { mode_t($0.plan.entry.perms) } ?? 0o755
                do {
                    try Sys.mkdirat(fd, comp, mode)
                    _ = try? Sys.fchmodat(fd, comp, mode)
                    // (--fake-super: recorded as the destination's is, owner included.)
                    if FakeStat.enabled, let d = destDir {
                        try? FakeStat.store(.init(mode: 0o040000 | UInt32(mode), rdev: 0, uid: d.uid, gid: d.gid), .at(fd, comp))
                    }
                } catch { if error.code != EEXIST { Sys.close(fd); throw error } }
                let next: Int32
                do { next = try Sys.openDir(fd, comp) } catch { Sys.close(fd); throw error }
                Sys.close(fd)
                fd = next
            }
        }
        return (fd, bname, true)
    }

    /// `mkdir -p` for the backup directory itself.
    private func system(_ path: PathBytes) -> Int32 {
        var prefix: PathBytes = path.first == 0x2F ? [0x2F] : []
        for comp in path.split(separator: 0x2F) {
            prefix += comp
            try? Sys.mkdirat(Sys.atFDCWD, prefix, 0o755)
            prefix.append(0x2F)
        }
        return 0
    }
}
