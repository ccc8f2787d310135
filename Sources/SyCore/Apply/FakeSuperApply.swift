import Glibc

/// `--fake-super` on the receiving side (see `FakeStat`): modes, owners, devices and symlinks
/// are recorded in each entry's `user.rsync.%stat`, never set with chown, chmod or mknod.
extension Applier {
    /// The record for `e` with permission bits `perms`: its owner and group where they are
    /// preserved, else the file's own (rsync 3.5 records whatever its memory held for them).
    func fakeRecord(_ e: Entry, perms: UInt32) -> FakeStat.Record {
        let ids = ownerIds(e) ?? (UInt32.max, UInt32.max)
        return FakeStat.Record(mode: e.kind.typeBits | perms & 0o7777, rdev: e.kind.isDevice ? e.rdev : 0, uid: ids.0, gid: ids.1)
    }

    /// Gives `target` (the entry `e`) the mode `mode`: a chmod, or under --fake-super its record.
    func chmodEntry(_ target: XattrIO.Target, _ mode: UInt32, _ e: Entry) throws(Errno) {
        if FakeStat.enabled { return try FakeStat.store(fakeRecord(e, perms: mode), target) }
        switch target {
        case .fd(let fd): try Sys.fchmod(fd, mode_t(mode))
        case .at(let d, let n): try Sys.fchmodat(d, n, mode_t(mode))
        }
    }

    /// Under --fake-super, records `e`'s type, device number, owner and group for `target`,
    /// with the permission bits it has now (its record's, else its own). Failures are listed.
    func settleFake(_ e: Entry, _ target: XattrIO.Target) {
        guard FakeStat.enabled, !options.dryRun else { return }
        do throws(Errno) {
            let now = try FakeStat.current(target)
            let perms = now.record.map { $0.mode & 0o7777 } ?? now.real.perms
            try FakeStat.store(fakeRecord(e, perms: perms), target, now: now)
        } catch {
            report(SyError.sys("failed to write xattr user.rsync.%stat for", e.path, error.code, status: .partial))
        }
    }

    /// Under --fake-super, a symlink, device, fifo or socket is made as a regular file (mode
    /// 0600) holding the symlink's target.
    func makeFakeNonFile(_ e: Entry, dir: Int32, name: PathBytes) throws(Errno) {
        let fd = try Sys.openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        defer { Sys.close(fd) }
        guard e.kind == .symlink, !e.target.isEmpty else { return }
        let wrote = e.target.withUnsafeBytes { b in Result { () throws(Errno) in try Sys.writeAll(fd, b.baseAddress!, b.count) } }
        if case .failure(let error) = wrote {
            try? Sys.unlinkat(dir, name, isDir: false)
            throw error
        }
    }
}
