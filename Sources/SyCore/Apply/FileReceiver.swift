import Glibc
import CSyLinux

/// Writes one file's data records (literals, basis copies, source ranges) to an fd,
/// hashing what it writes. Owns the reusable buffers.
final class FileReceiver {
    let buffer: UnsafeMutableRawPointer
    let bufferSize = 1 << 20
    let zbuffer: UnsafeMutableRawPointer
    let hasher = FileHasher()
    /// Writes large basis copies while the next piece is read and hashed.
    let writer = WriteQueue()

    init() {
        buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 64)
        zbuffer = UnsafeMutableRawPointer.allocate(byteCount: Wire.maxPayload, alignment: 64)
    }

    deinit { buffer.deallocate(); zbuffer.deallocate() }

    /// How much of a replacing file is written before its writeback is started (see receiveData).
    static let writeBehindStep: Int64 = 32 << 20
    /// From this size on, a file being replaced is held open so that its blocks are freed on
    /// the closer thread (see `Closer`), not in the rename.
    static let heldOldSize: Int64 = 256 << 10

    /// Copy basis runs with copy_file_range and hash them back from the new file (SY_COPY=kernel),
    /// instead of pread + pwrite. Measured on ext4 here: pread + pwrite 1.7 s per GiB, kernel
    /// copies 2.0-3.3 s, so read/write is the default.
    static let kernelCopies: Bool = getenv("SY_COPY").map { String(cString: $0) == "kernel" } ?? false

    /// From this length on, a basis copy's writes go through the write queue (below it, handing
    /// pieces to another thread costs more than it overlaps).
    static let queuedCopyMinimum: Int64 = 1 << 20

    /// Reads and drops one file's data records up to its FILE-END or FILE-ABORT.
    func discard(_ input: StreamReader) throws(SyError) {
        while let rec = try input.nextRecord() {
            switch rec {
            case .literal, .literalZstd, .copy, .sourceRange: continue
            case .fileEnd, .fileAbort: return
            default: throw SyError.stream("\(rec.type.name) record inside file data", offset: input.payloadOffset)
            }
        }
        throw SyError.stream("stream ended inside file data", offset: input.offset)
    }
}

/// The outcome of receiving one file.
enum ReceiveOutcome {
    case done(size: Int64, literal: Int64, matched: Int64)
    /// The delta rebuilt the basis itself, byte for byte (a touched file): nothing was written.
    case identical(size: Int64, matched: Int64)
    case aborted(errno: Int32)
    case mismatch(String)
    case failed(SyError)
}

extension Applier {
    /// Receives a file's data into a temp file (or in place) and renames it into place.
    func receiveFile(_ p: Plan, dir: Int32, name: PathBytes) throws(SyError) {
        let e = p.entry
        // A new file's name was free when sy-sum looked, so it is not looked at again here; a
        // directory that appeared since makes the rename fail, and the way is cleared then.
        guard p.action == .create || clearWay(p, dir: dir, name: name) != nil else { try receiver.discard(input); return }
        var basisFd: Int32 = -1, heldOld: Int32 = -1
        var oldPerms: UInt32?
        var basisSize: Int64 = 0
        if p.action == .update, let st = try? Sys.fstatat(dir, name), st.kind == .file {
            oldPerms = st.perms
            basisSize = st.size
            if (p.signature != nil && !p.flags.contains(.partialBasis)) || options.inplace || p.flags.contains(.append) {
                basisFd = (try? Sys.openat(dir, name, O_RDONLY | O_NOFOLLOW)) ?? -1
            } else if st.nlink == 1 && st.size >= FileReceiver.heldOldSize {
                // A large old file is held open though not read: the rename over it then does not
                // free its blocks; the closer thread does, while the next file is received.
                heldOld = (try? Sys.openat(dir, name, O_RDONLY | O_NOFOLLOW)) ?? -1
            }
        }
        if p.flags.contains(.fuzzyBasis) {
            // Without -p rsync gives the new file the basis's permissions.
            if let st = try? Sys.fstatat(dir, p.linkTo), st.kind == .file { oldPerms = st.perms }
            if p.signature != nil && basisFd < 0 { basisFd = (try? Sys.openat(dir, p.linkTo, O_RDONLY | O_NOFOLLOW)) ?? -1 }
        }
        if p.flags.contains(.referenceBasis), let stack = referenceStack(p.flags.referenceIndex),
           let rdir = try? stack.fd(for: PathOps.parent(e.path)) {
            // A reference dir's file (rsync's basis dir): its permissions too, as with -y.
            if let st = try? Sys.fstatat(rdir, name), st.kind == .file { oldPerms = st.perms }
            if p.signature != nil && basisFd < 0 { basisFd = (try? Sys.openat(rdir, name, O_RDONLY | O_NOFOLLOW)) ?? -1 }
        }
        if p.flags.contains(.partialBasis), let pd = options.partialDir, basisFd < 0,
           let pdir = try? Sys.openDir(dir, pd) {
            basisFd = (try? Sys.openat(pdir, name, O_RDONLY | O_NOFOLLOW)) ?? -1
            Sys.close(pdir)
            // Kept partial data is the basis even where the file exists (or the data is not
            // used, -W): rsync gives the file its permissions.
            if basisFd >= 0, let st = try? Sys.fstat(basisFd), st.kind == .file { oldPerms = st.perms }
        }
        defer {
            if basisFd >= 0 { closer.close(basisFd, size: basisSize) }
            if heldOld >= 0 { closer.close(heldOld, size: basisSize) }
        }
        let inplace = (options.inplace || p.flags.contains(.append)) && p.action == .update && oldPerms != nil
        var outFd: Int32 = -1
        var tmp: PathBytes = []
        if tempDirRefused && !inplace, let td = options.tempDir {
            warn(TrustedPath.refusal, prefixed: false)
            var root = destination
            while root.count > 1 && root.last == 0x2F { root.removeLast() }
            let inDir = td.first == 0x2F ? td : root + [0x2F] + td
            report(SyError("mkstemp \"\(PathOps.shownAbsolute(inDir + [0x2F] + name)).XXXXXX\" failed: \(errnoText(ELOOP))", status: .partial))
            try receiver.discard(input)
            return
        }
        // Where the temp file is made: beside the file, or in the -T directory.
        var tdir = tempDirFd >= 0 && !inplace ? tempDirFd : dir
        if inplace && !backupCopy(dir: dir, name: name, path: e.path) {
            try receiver.discard(input)
            return
        }
        // A file is written unnamed where it can be: a new one is linked in at the end (one
        // directory entry instead of a temp name made and renamed), a replacing one named and
        // renamed over the old; a crash leaves nothing behind. The supply made it ahead.
        var unnamed = false
        do {
            if inplace {
                outFd = try openInPlace(dir, name)
            } else if mayWriteUnnamed(p, tdir: tdir, dir: dir), let fd = unnamedFile(dir) {
                outFd = fd
                unnamed = true
            } else {
                (outFd, tmp) = try namer.create(in: tdir, for: name)
            }
        } catch {
            report(SyError.sys(inplace ? "cannot open" : "cannot create temporary file for", e.path, error.code, status: .partial))
            try receiver.discard(input)
            return
        }
        if !tmp.isEmpty { noteCurrentTemp(tdir, tmp, dir: dir, name: name) }
        defer { sy_set_current_temp(-1, nil, -1, nil, nil) }
        if options.preallocate && !inplace && e.size > 0 {
            let rc = posix_fallocate(outFd, 0, off_t(e.size))
            if rc == ENOSPC || rc == EDQUOT {
                Sys.close(outFd)
                try? Sys.unlinkat(tdir, tmp, isDir: false)
                throw SyError.sys("cannot allocate space for", e.path, rc, status: .fileIO)
            }
        }
        let outcome: ReceiveOutcome
        let keepable = !inplace && basisFd >= 0 && basisIsKeepable(p, dir: dir, basisFd: basisFd)
        do { outcome = try receiveData(p, outFd: outFd, basisFd: basisFd, inplace: inplace, identityFirst: keepable,
                                                  replacing: !inplace && oldPerms != nil) } catch {
            // The stream broke inside this file: the old file stays; the data received so far
            // is kept for next time with --partial, else dropped.
            Sys.close(outFd)
            if !tmp.isEmpty { keepPartial(tdir: tdir, tmp: tmp, dir: dir, name: name) }
            throw error
        }
        var ok = false
        switch outcome {
        case .identical(let size, let matched):
            // The file keeps its inode; it gets the attributes a new copy would have.
            setNewFileAttributes(e, fd: basisFd, oldPerms: oldPerms)
            ok = false // the temp file goes
            touch(PathOps.parent(e.path))
            // rsync's copy, renamed over the file, gives the directory a new time; where
            // directory times are not set afterwards, so must keeping the file.
            if !options.setsDirTimes { try? Sys.futimens(dir, 0, Int64(sy_UTIME_NOW)) }
            stats.transferred += 1
            stats.transferredSize += UInt64(size)
            stats.matched += UInt64(matched)
            reporter.change(p, literal: 0, matched: matched)
        case .done(let size, let literal, let matched):
            // The file counts as sent once its data is in; rsync lists it then (log_item, before
            // finish_transfer), so a failure to put it in place is said after its line. The
            // source stays (--remove-source-files): it is not in place.
            func countSent() {
                if (p.action == .create || p.flags.contains(.replace)) && !p.flags.contains(.referenced) { stats.created.add(.file) }
                stats.transferred += 1
                stats.transferredSize += UInt64(size)
                stats.literal += UInt64(literal)
                stats.matched += UInt64(matched)
            }
            func failedInPlace(_ err: SyError) {
                countSent()
                reporter.change(p, literal: literal, matched: matched, sourceDone: false)
                report(err)
            }
            if inplace || options.sparse { try? Sys.ftruncate(outFd, size) }
            if tdir != dir {
                // Renamed from the -T directory, or copied beside the file where that is another filesystem.
                do { try moveToOwnFilesystem(&outFd, &tmp, from: &tdir, dir: dir, name: name, size: size) } catch {
                    failedInPlace(SyError.sys("cannot copy temporary file of", e.path, error.code, status: .partial))
                    break
                }
            }
            // A temp file made beside the file is ours, with the directory's group if it is set-group-ID.
            let owner = tdir == dir && !inplace ? (euid, newFileGroup(dir: dir, path: e.path)) : nil
            setNewFileAttributes(e, fd: outFd, oldPerms: oldPerms, owner: owner)
            if options.fsync && Glibc.fsync(outFd) != 0 {
                report(SyError.sys("fsync failed for", e.path, errno, status: .partial))
            }
            if unnamed {
                do throws(Errno) {
                    // Linked as the file, or (the name taken since) under a temp name, renamed over it below.
                    let linked = p.action == .create ? try linkUnnamed(outFd, dir: dir, name: name) : false
                    if !linked { tmp = try nameUnnamed(outFd, dir: dir, for: name) }
                } catch {
                    // Unnamed files cannot be linked here (no /proc, no privilege): a named temp file it is.
                    unnamedFiles = false
                    do { tmp = try copyToNamedTemp(&outFd, dir: dir, for: name, size: size) } catch {
                        report(SyError.sys("cannot create temporary file for", e.path, error.code, status: .partial))
                        break
                    }
                    setNewFileAttributes(e, fd: outFd, oldPerms: oldPerms, owner: owner)
                }
                if !tmp.isEmpty { noteCurrentTemp(dir, tmp, dir: dir, name: name) }
            }
            Sys.close(outFd)
            outFd = -1
            let held = options.delayUpdates && !inplace
            if held {
                // A directory where the file goes is cleared now, as rsync's generator clears it
                // before the transfer (the rename at the end would fail on it).
                if p.action == .create, clearWay(p, dir: dir, name: name) == nil { break } // (reported there)
                do { try hold(tdir: tdir, tmp: tmp, dir: dir, name: name, path: e.path) } catch {
                    failedInPlace(SyError.sys("cannot hold back (--delay-updates)", e.path, error.code, status: .partial))
                    break
                }
            } else if !inplace && !tmp.isEmpty {
                if !backup(dir: dir, name: name, path: e.path, move: false) { break }
                do throws(Errno) {
                    do { try Sys.renameat(tdir, tmp, dir, name) } catch {
                        guard p.action == .create && [EISDIR, ENOTEMPTY, EEXIST].contains(error.code) else { throw error }
                        guard clearWay(p, dir: dir, name: name) != nil else { break } // reported there
                        try Sys.renameat(tdir, tmp, dir, name)
                    }
                } catch {
                    failedInPlace(SyError.sys("rename failed for", e.path, error.code, status: .partial))
                    break
                }
            }
            ok = true
            touch(PathOps.parent(e.path))
            if !held, let pd = options.partialDir, let pdir = try? Sys.openDir(dir, pd) {
                try? Sys.unlinkat(pdir, name, isDir: false)
                Sys.close(pdir)
                // (An absolute one is the user's to keep.)
                if pd.first != 0x2F { try? Sys.unlinkat(dir, pd, isDir: true) }
            }
            // (Not one sent against a reference dir's file: rsync's itemize calls it existing.)
            countSent()
            reporter.change(p, literal: literal, matched: matched)
        case .aborted(let err):
            onlyRedoFailures = false
            status = status.merged(with: err == ENOENT ? .vanished : .partial)
        case .mismatch:
            redo.append(e.path)
            // rsync lists the file as sent, then says it failed (and lists it again in its redo).
            reporter.change(p, sourceDone: false)
            // A file changed in place but not verified must never pass a quick check (whole
            // seconds) as up to date: the second pass, or a later run, sends it again. Its other
            // attributes are set, as rsync's finish_transfer sets them on a file written in place.
            if inplace && outFd >= 0 { setNewFileAttributes(e, fd: outFd, oldPerms: oldPerms, failed: true) }
            // rsync's words: the new data is discarded (or, written in place, retained) and sent again.
            let kept = inplace || options.partialDir != nil ? "retained" : "discarded"
            // As rsync's: a warning where names are listed when a second pass follows, else an error.
            let text: String
            if !options.redoFollows {
                text = "ERROR: \(e.path.displayName) failed verification -- update \(kept)."
            } else if options.output.names || options.output.itemize || options.output.outFormat != nil {
                text = "WARNING: \(e.path.displayName) failed verification -- update \(kept) (\(options.fromBatch ? "may" : "will") try again)."
            } else {
                text = ""
            }
            report(SyError(text, status: .partial), redo: true)
        case .failed(let err):
            if outFd >= 0 { Sys.close(outFd); outFd = -1 }
            if !tmp.isEmpty { try? Sys.unlinkat(tdir, tmp, isDir: false) }
            if err.errno == ENOSPC || err.errno == EDQUOT { throw SyError(err.message, status: .fileIO, errno: err.errno) }
            report(err)
        }
        if outFd >= 0 { Sys.close(outFd) }
        if !ok && !tmp.isEmpty { try? Sys.unlinkat(tdir, tmp, isDir: false) }
    }

    /// Whether a plan's file may be written unnamed (O_TMPFILE) and linked in at the end: a new
    /// file or a regular file's new content, written beside it, with no partial data to keep
    /// and no updates held back.
    func mayWriteUnnamed(_ p: Plan, tdir: Int32, dir: Int32) -> Bool {
        unnamedFiles && (p.action == .create && !p.flags.contains(.replace) || p.action == .update) && tdir == dir
            && options.partialDir == nil && !options.delayUpdates
    }

    /// An unnamed file in `dir`: one the supply made ahead, else made now (timed, so that the
    /// supply starts when that is slow).
    func unnamedFile(_ dir: Int32) -> Int32? {
        if let fd = unnamedSupply.take(dir: dir) { return fd }
        let start = monotonicNanos()
        guard let fd = openUnnamed(dir) else { return nil }
        unnamedSupply.observe(nanos: monotonicNanos() - start)
        return fd
    }

    /// An unnamed file in `dir`, or nil where the filesystem has none (then never tried again).
    func openUnnamed(_ dir: Int32) -> Int32? {
        let fd = sy_open_unnamed(dir)
        if fd >= 0 { return fd }
        if UnnamedSupply.unsupported(errno) { unnamedFiles = false }
        return nil
    }

    /// Links the finished unnamed file in as `name`: true if done, false if the name is taken
    /// (something appeared since sy-sum looked: it is replaced by a rename, as rsync would).
    func linkUnnamed(_ fd: Int32, dir: Int32, name: PathBytes) throws(Errno) -> Bool {
        let r = withCPath(name) { n in retrying { sy_link_unnamed(fd, dir, n) } }
        do { _ = try r.get() } catch {
            if [EEXIST, EISDIR, ENOTEMPTY].contains(error.code) { return false }
            throw error
        }
        return true
    }

    /// Gives the unnamed file `fd` a temp name beside `name`.
    func nameUnnamed(_ fd: Int32, dir: Int32, for name: PathBytes) throws(Errno) -> PathBytes {
        for _ in 0..<100 {
            let tmp = namer.make(name)
            if try linkUnnamed(fd, dir: dir, name: tmp) { return tmp }
        }
        throw Errno(EEXIST)
    }

    /// Copies the first `size` bytes of `fd` (an unnamed file, or a temp file elsewhere) into a
    /// new temp file beside `name`, which replaces `fd` (closed); returns its name.
    func copyToNamedTemp(_ fd: inout Int32, dir: Int32, for name: PathBytes, size: Int64) throws(Errno) -> PathBytes {
        let (out, tmp) = try namer.create(in: dir, for: name)
        var off: Int64 = 0
        do throws(Errno) {
            while off < size {
                let n = try copyRange(src: fd, at: off, dst: out, at: off, count: size - off)
                if n == 0 { throw Errno(EIO) }
                off += n
            }
        } catch {
            Sys.close(out)
            try? Sys.unlinkat(dir, tmp, isDir: false)
            throw error
        }
        Sys.close(fd)
        fd = out
        return tmp
    }

    /// Tells the signal handler which temp file to remove (or keep as partial data) if sy-apply is stopped.
    func noteCurrentTemp(_ tdir: Int32, _ tmp: PathBytes, dir: Int32, name: PathBytes) {
        withCPath(tmp) { t in
            if let pd = options.partialDir {
                withCPath(pd) { d in withCPath(name) { n in sy_set_current_temp(tdir, t, dir, d, n) } }
            } else {
                sy_set_current_temp(tdir, t, -1, nil, nil)
            }
        }
    }

    /// `-T` with the temp directory on another filesystem than `dir`: copies the finished temp
    /// file into a new one beside `name` (a rename cannot cross) and drops the first; on the same
    /// filesystem nothing is done here (the final rename moves it).
    func moveToOwnFilesystem(_ outFd: inout Int32, _ tmp: inout PathBytes, from tdir: inout Int32,
                             dir: Int32, name: PathBytes, size: Int64) throws(Errno) {
        let a = try Sys.fstat(tdir), b = try Sys.fstat(dir)
        guard a.dev != b.dev else { return }
        let near = try copyToNamedTemp(&outFd, dir: dir, for: name, size: size)
        try? Sys.unlinkat(tdir, tmp, isDir: false)
        tmp = near; tdir = dir
        noteCurrentTemp(dir, near, dir: dir, name: name)
    }

    /// Opens a file to update in place; one its user may not write (its own) is made writable
    /// first, as rsync's receiver does: its mode is set again afterwards.
    func openInPlace(_ dir: Int32, _ name: PathBytes) throws(Errno) -> Int32 {
        do { return try Sys.openat(dir, name, O_RDWR | O_NOFOLLOW) } catch {
            guard error.code == EACCES, let st = try? Sys.rawFstatat(dir, name), st.kind == .file, st.uid == euid else { throw error }
            try Sys.fchmodat(dir, name, mode_t(st.perms | 0o600))
            return try Sys.openat(dir, name, O_RDWR | O_NOFOLLOW)
        }
    }

    /// Mode, owner, extended attributes and time of a received file (`oldPerms`: the file it
    /// replaces, for the mode without -p).
    /// `owner`: the file's owner and group as created, when known (then a chown to the same is skipped).
    /// `failed`: the file failed verification (in place): its mtime is sy's mark instead.
    func setNewFileAttributes(_ e: Entry, fd: Int32, oldPerms: UInt32?, owner: (uid: UInt32, gid: UInt32)? = nil, failed: Bool = false) {
        var mode: UInt32 = options.perms ? e.perms : (oldPerms ?? defaultPerms(e))
        if !options.perms && options.executability, let old = oldPerms { mode = PermissionRules.executability(old, source: e.perms) }
        // (The owner first: a chown clears the set-user-ID and set-group-ID bits.)
        chown(fd: fd, e, has: owner)
        do { try chmodEntry(.fd(fd), mode, e) } catch { report(SyError.sys("chmod failed for", e.path, error.code, status: .partial)) }
        applyXattrs(e, .fd(fd))
        if failed {
            try? Sys.futimens(fd, FailedMark.seconds(forSource: e.mtimeSec), 0)
            return
        }
        do { try setTimes(e, fd: fd, mtime: options.times) } catch { report(SyError.sys("failed to set times on", e.path, error.code, status: .partial)) }
    }

    /// The group of a file created in `dir` (the directory of `path`): the directory's own when
    /// it is set-group-ID, else ours. Looked up once per directory (plans come grouped by one).
    func newFileGroup(dir: Int32, path: PathBytes) -> UInt32 {
        let parent = PathOps.parent(path)
        if let c = createdGroup, c.dir == parent { return c.gid }
        var gid = UInt32(getegid())
        if let st = try? Sys.fstat(dir), st.perms & 0o2000 != 0 { gid = st.gid }
        createdGroup = (parent, gid)
        return gid
    }

    /// Whether the destination file could stay as it is if the delta rebuilds it exactly: it is
    /// the basis itself, alone (no other hard links), without extended attributes, owned as a
    /// new file would be, and nothing else (backups, held updates, holes) needs a new file.
    func basisIsKeepable(_ p: Plan, dir: Int32, basisFd: Int32) -> Bool {
        guard p.action == .update, p.signature != nil, !p.flags.contains(.fuzzyBasis), !p.flags.contains(.partialBasis),
              !p.flags.contains(.append), options.backup == nil, !options.delayUpdates, !options.sparse,
              let st = try? Sys.fstat(basisFd), st.kind == .file, st.nlink == 1, st.size == p.entry.size else { return false }
        if !(options.owner && canChown) && st.uid != euid { return false }
        if !options.group && st.gid != newFileGroup(dir: dir, path: p.entry.path) { return false }
        return sy_flistxattr(basisFd, nil, 0) == 0
    }

    /// With --partial, moves an interrupted temp file to the partial directory; else removes it.
    func keepPartial(tdir: Int32, tmp: PathBytes, dir: Int32, name: PathBytes) {
        if let pd = options.partialDir {
            do throws(Errno) {
                do { try Sys.mkdirat(dir, pd, 0o700) } catch { if error.code != EEXIST { throw error } }
                let pdir = try Sys.openDir(dir, pd)
                defer { Sys.close(pdir) }
                try Sys.renameat(tdir, tmp, pdir, name)
                return
            } catch {}
        }
        try? Sys.unlinkat(tdir, tmp, isDir: false)
    }

    /// Consumes the data records of one file and writes them to `outFd`.
    /// `identityFirst`: while the delta copies the basis to the same offsets, nothing is
    /// written (the data is only hashed); if it rebuilds the basis whole, the outcome is
    /// `.identical`; at the first other record the part so far is copied into `outFd`.
    func receiveData(_ p: Plan, outFd: Int32, basisFd: Int32, inplace: Bool, identityFirst: Bool = false, replacing: Bool = false) throws(SyError) -> ReceiveOutcome {
        let r = receiver
        r.hasher.reset()
        var off: Int64 = 0
        var identity = identityFirst
        var literal: Int64 = 0, matched: Int64 = 0
        var failure: SyError?
        var srcFd: Int32 = -1
        var srcBefore: FileStat?
        var usedRange = false
        defer { if srcFd >= 0 { Sys.close(srcFd) } }
        let meter = reporter.progress
        reporter.beginTransfer(p)
        defer { meter.endFile() }
        let sparse = options.sparse && !inplace
        // Write-behind for a new file that will replace an existing one: ext4 (auto_da_alloc)
        // allocates and flushes a file renamed over another at the rename, all at once; started
        // while the file is written, that disk work overlaps the writing (1 GiB update: 0.8 s
        // instead of 1.2 s here). A new name needs no rename-over, so nothing is started there.
        var flushed: Int64 = 0
        func writeBehind(_ end: Int64) {
            guard replacing, end - flushed >= FileReceiver.writeBehindStep else { return }
            _ = sy_start_writeback(outFd, flushed, end - flushed)
            flushed = end
        }
        // Queued writes (large basis copies, not in place, not sparse) are all done before
        // anything else is written, and before this returns or throws: the caller closes outFd.
        let queue: WriteQueue? = inplace || sparse || FileReceiver.kernelCopies ? nil : r.writer
        var queued = false
        func settle() {
            guard let queue, queued else { return }
            queued = false
            if let err = queue.drain(), failure == nil {
                failure = SyError.sys("write failed for", p.entry.path, err.code, status: .partial)
            }
        }
        defer { settle() }
        func write(_ ptr: UnsafeRawPointer, _ n: Int) {
            settle()
            guard failure == nil else { return }
            meter.advance(n)
            r.hasher.update(ptr, n)
            do throws(Errno) {
                if sparse { try Sparse.write(outFd, ptr, n, at: off) } else { try Sys.pwriteAll(outFd, ptr, n, off) }
            } catch {
                failure = SyError.sys("write failed for", p.entry.path, error.code, status: .partial)
            }
            off += Int64(n)
            writeBehind(off)
        }
        /// Leaves identity mode: what was only hashed so far is copied into the new file.
        func materialize() {
            settle()
            identity = false
            guard off > 0, failure == nil else { return }
            do throws(Errno) {
                // read + write, as the copies of the basis go (see `kernelCopies`).
                if try readWriteCopy(src: basisFd, at: 0, dst: outFd, at: 0, count: off) < off { throw Errno(EIO) }
            } catch {
                failure = SyError.sys("cannot copy from basis of", p.entry.path, error.code, status: .partial)
            }
            writeBehind(off)
        }
        while let type = try input.next() {
            if type == .literal {
                // Straight from the stream's read buffer to the file: no copy on the way.
                if identity { materialize() }
                let d = input.payloadBytes
                write(d.baseAddress ?? UnsafeRawPointer(r.buffer), d.count)
                literal += Int64(d.count)
                continue
            }
            var payload = input.reader()
            let rec = try Record.decode(type, &payload)
            if identity {
                switch rec {
                case .copy(let o, _) where o == off: break
                case .fileEnd, .fileAbort: break
                default: materialize()
                }
            }
            switch rec {
            case .literal:
                break // written above, from the read buffer
            case .literalZstd(let n, let c):
                let zerr: SyError? = c.withUnsafeBytes { cb in
                    do throws(SyError) { try ZstdDecoder.decompress(cb, rawLength: n, into: r.zbuffer) } catch { return error }
                    return nil
                }
                if let zerr { throw zerr }
                write(r.zbuffer, n)
                literal += Int64(n)
            case .copy(let o, let l):
                if !p.flags.contains(.append) { matched += l } // rsync counts an append's kept part as nothing
                if let bs = p.signature?.blockSize, bs > 0 { stats.matchedBlocks += UInt64((l + Int64(bs) - 1) / Int64(bs)) }
                guard failure == nil else { off += l; continue }
                guard basisFd >= 0 else { return try ReceiveOutcome.basisGone.consuming(self) }
                if inplace && o < off {
                    failure = SyError("\(p.entry.path.displayName): in-place delta copies backwards", status: .partial); continue
                }
                var done: Int64 = 0
                while done < l {
                    let want = Int(min(Int64(r.bufferSize), l - done))
                    let got: Int
                    if inplace && o + done == off && p.flags.contains(.append) && !p.flags.contains(.appendVerify) {
                        // --append keeps what is there unread.
                        got = want
                        meter.advance(got)
                        off += Int64(got)
                    } else if (inplace || identity) && o + done == off {
                        // Already in place (or, in identity mode, not written yet): only hash it.
                        do { got = try Sys.preadFull(basisFd, r.buffer, want, o + done) } catch {
                            failure = SyError.sys("cannot read basis of", p.entry.path, error.code, status: .partial); break
                        }
                        if got < want { return try ReceiveOutcome.basisShrank.consuming(self) }
                        r.hasher.update(r.buffer, got)
                        meter.advance(got)
                        off += Int64(got)
                    } else if !inplace && FileReceiver.kernelCopies {
                        // Copy in the kernel, then hash what landed in the new file (page cache).
                        do throws(Errno) {
                            got = Int(try copyRange(src: basisFd, at: o + done, dst: outFd, at: off, count: Int64(want)))
                            _ = try Sys.preadFull(outFd, r.buffer, got, off)
                        } catch {
                            failure = SyError.sys("cannot copy from basis of", p.entry.path, error.code, status: .partial); break
                        }
                        if got < want { return try ReceiveOutcome.basisShrank.consuming(self) }
                        r.hasher.update(r.buffer, got)
                        meter.advance(got)
                        off += Int64(got)
                        writeBehind(off)
                    } else if let queue, l >= FileReceiver.queuedCopyMinimum {
                        // Read and hash here while the writer thread writes the piece before.
                        let buf = queue.acquire(), piece = min(want, queue.bufferSize)
                        do { got = try Sys.preadFull(basisFd, buf, piece, o + done) } catch {
                            queue.cancel()
                            failure = SyError.sys("cannot read basis of", p.entry.path, error.code, status: .partial); break
                        }
                        if got < piece { queue.cancel(); return try ReceiveOutcome.basisShrank.consuming(self) }
                        meter.advance(got)
                        r.hasher.update(buf, got)
                        queue.submit(count: got, fd: outFd, offset: off)
                        queued = true
                        off += Int64(got)
                        writeBehind(queue.written)
                    } else {
                        do { got = try Sys.preadFull(basisFd, r.buffer, want, o + done) } catch {
                            failure = SyError.sys("cannot read basis of", p.entry.path, error.code, status: .partial); break
                        }
                        if got < want { return try ReceiveOutcome.basisShrank.consuming(self) }
                        write(r.buffer, got)
                    }
                    done += Int64(got)
                }
            case .sourceRange(let o, let l):
                settle()
                stats.rangeBytes += UInt64(max(0, l))
                guard failure == nil else { off += l; literal += l; continue }
                guard let sources else {
                    throw SyError.stream("source-range record but no --copy-from sources", offset: input.payloadOffset)
                }
                if srcFd < 0 {
                    do {
                        srcFd = try sources.open(p.entry.path)
                        srcBefore = try Sys.fstat(srcFd)
                    } catch {
                        failure = .unreadable("cannot open source", p.entry.path, error.code)
                        continue
                    }
                }
                usedRange = true
                if sparse {
                    // -S: the data must be looked at to leave holes, so read and write it here.
                    var done: Int64 = 0
                    while done < l && failure == nil {
                        let want = Int(min(Int64(r.bufferSize), l - done))
                        let got: Int
                        do { got = try Sys.preadFull(srcFd, r.buffer, want, o + done) } catch {
                            failure = SyError.sys("cannot read", p.entry.path, error.code, status: .partial); break
                        }
                        if got == 0 { failure = SyError("file has vanished or shrunk: '\(p.entry.path.displayName)'", status: .vanished); break }
                        write(r.buffer, got)
                        done += Int64(got)
                    }
                    literal += l
                    continue
                }
                do {
                    // In pieces of 64 MiB so progress moves.
                    var done: Int64 = 0
                    while done < l {
                        let piece = min(l - done, limiter != nil ? 256 << 10 : 64 << 20)
                        limiter?.take(Int(piece))
                        let n = try copyRange(src: srcFd, at: o + done, dst: outFd, at: off + done, count: piece)
                        meter.advance(Int(n))
                        done += n
                        writeBehind(off + done)
                        if n < piece { break }
                    }
                    if done != l { failure = SyError("file has vanished or shrunk: '\(p.entry.path.displayName)'", status: .vanished) }
                } catch {
                    failure = SyError.sys("copy failed for", p.entry.path, error.code, status: .partial)
                }
                off += l
                literal += l
            case .fileEnd(let size, let hash):
                settle()
                if let failure { return .failed(failure) }
                guard off == size else { return .mismatch("received \(off) bytes, expected \(size)") }
                if let h = hash, h != r.hasher.digest { return .mismatch("checksum mismatch after transfer") }
                if identity {
                    // Rebuilt the basis whole, if the basis has no more than that.
                    if let st = try? Sys.fstat(basisFd), st.size == size { return .identical(size: size, matched: matched) }
                    materialize()
                    if let failure { return .failed(failure) }
                }
                if usedRange, let before = srcBefore {
                    let after = try? Sys.fstat(srcFd)
                    if after?.size != before.size || after?.mtimeSec != before.mtimeSec || after?.mtimeNsec != before.mtimeNsec || before.size != size {
                        return .failed(SyError("source file changed during transfer: '\(p.entry.path.displayName)'", status: .vanished))
                    }
                }
                return .done(size: size, literal: literal, matched: matched)
            case .fileAbort(let err, _):
                return .aborted(errno: err)
            default:
                throw SyError.stream("\(rec.type.name) record inside file data", offset: input.payloadOffset)
            }
        }
        throw SyError.stream("stream ended inside file data", offset: input.offset)
    }

    /// copy_file_range, falling back to read/write where the kernel or filesystem refuses.
    func copyRange(src: Int32, at so: Int64, dst: Int32, at dof: Int64, count: Int64) throws(Errno) -> Int64 {
        do {
            return try Sys.copyRange(from: src, at: so, to: dst, at: dof, count: count)
        } catch {
            guard error.code == EXDEV || error.code == EINVAL || error.code == ENOSYS || error.code == EOPNOTSUPP else { throw error }
        }
        return try readWriteCopy(src: src, at: so, dst: dst, at: dof, count: count)
    }

    /// Copies through the receive buffer with pread and pwrite; the bytes copied (fewer at
    /// the source's end).
    func readWriteCopy(src: Int32, at so: Int64, dst: Int32, at dof: Int64, count: Int64) throws(Errno) -> Int64 {
        var done: Int64 = 0
        while done < count {
            let want = Int(min(Int64(receiver.bufferSize), count - done))
            let got = try Sys.preadFull(src, receiver.buffer, want, so + done)
            if got == 0 { break }
            try Sys.pwriteAll(dst, receiver.buffer, got, dof + done)
            done += Int64(got)
        }
        return done
    }
}

extension ReceiveOutcome {
    /// The basis ended before a COPY: it changed after its signature was taken.
    static let basisShrank = ReceiveOutcome.mismatch("basis is shorter than its signature said (changed meanwhile?)")
    /// The delta copies from a basis that is not there (removed since its signature was
    /// taken): as rsync's receiver, the file fails verification and is sent again whole.
    static let basisGone = ReceiveOutcome.mismatch("the basis is not there (removed meanwhile?)")

    /// Drains the rest of the file's records before returning this outcome.
    func consuming(_ a: Applier) throws(SyError) -> ReceiveOutcome {
        try a.receiver.discard(a.input)
        return self
    }
}
